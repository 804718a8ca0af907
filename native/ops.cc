// Tensor operations exported to JavaScript. Each is a thin call into ATen so that autograd,
// threading and numerics are libtorch's own.
#include "common.h"

namespace rd {

#define UNARY(name, expr) RD_FN(name) { RD_GUARD(auto& x = T(info, 0); return Wrap(info.Env(), expr);) }
// Binary ops accept a tensor or a JS number as the second operand.
#define BINARY(name, fn)                                                        \
  RD_FN(name) {                                                                 \
    RD_GUARD(                                                                   \
      auto& a = T(info, 0);                                                     \
      if (info[1].IsNumber()) return Wrap(info.Env(), fn(a, torch::Scalar(Num(info, 1)))); \
      return Wrap(info.Env(), fn(a, T(info, 1)));                               \
    )                                                                           \
  }

UNARY(neg, x.neg())
UNARY(exp, x.exp())
UNARY(log, x.log())
UNARY(sqrt, x.sqrt())
UNARY(rsqrt, x.rsqrt())
UNARY(tanh, x.tanh())
UNARY(sigmoid, x.sigmoid())
UNARY(relu, x.relu())
UNARY(silu, torch::silu(x))
UNARY(abs, x.abs())
UNARY(square, x.square())
UNARY(sin, x.sin())
UNARY(cos, x.cos())
UNARY(logSigmoid, torch::log_sigmoid(x))
UNARY(softplus, torch::softplus(x))
UNARY(floor, x.floor())
UNARY(round, x.round())
UNARY(sign, x.sign())
UNARY(contiguous, x.contiguous())
UNARY(clone, x.clone())
UNARY(isfinite, x.isfinite())
UNARY(logicalNot, x.logical_not())
RD_FN(gelu) { RD_GUARD(return Wrap(info.Env(), torch::gelu(T(info, 0), Bool(info, 1) ? "tanh" : "none"));) }

static torch::Tensor addF(const torch::Tensor& a, const torch::Tensor& b) { return a.add(b); }
static torch::Tensor addF(const torch::Tensor& a, const torch::Scalar& b) { return a.add(b); }
static torch::Tensor subF(const torch::Tensor& a, const torch::Tensor& b) { return a.sub(b); }
static torch::Tensor subF(const torch::Tensor& a, const torch::Scalar& b) { return a.sub(b); }
static torch::Tensor mulF(const torch::Tensor& a, const torch::Tensor& b) { return a.mul(b); }
static torch::Tensor mulF(const torch::Tensor& a, const torch::Scalar& b) { return a.mul(b); }
static torch::Tensor divF(const torch::Tensor& a, const torch::Tensor& b) { return a.div(b); }
static torch::Tensor divF(const torch::Tensor& a, const torch::Scalar& b) { return a.div(b); }
static torch::Tensor powF(const torch::Tensor& a, const torch::Tensor& b) { return a.pow(b); }
static torch::Tensor powF(const torch::Tensor& a, const torch::Scalar& b) { return a.pow(b); }
static torch::Tensor maxF(const torch::Tensor& a, const torch::Tensor& b) { return torch::maximum(a, b); }
static torch::Tensor maxF(const torch::Tensor& a, const torch::Scalar& b) { return a.clamp_min(b); }
static torch::Tensor minF(const torch::Tensor& a, const torch::Tensor& b) { return torch::minimum(a, b); }
static torch::Tensor minF(const torch::Tensor& a, const torch::Scalar& b) { return a.clamp_max(b); }
static torch::Tensor eqF(const torch::Tensor& a, const torch::Tensor& b) { return a.eq(b); }
static torch::Tensor eqF(const torch::Tensor& a, const torch::Scalar& b) { return a.eq(b); }
static torch::Tensor gtF(const torch::Tensor& a, const torch::Tensor& b) { return a.gt(b); }
static torch::Tensor gtF(const torch::Tensor& a, const torch::Scalar& b) { return a.gt(b); }
static torch::Tensor ltF(const torch::Tensor& a, const torch::Tensor& b) { return a.lt(b); }
static torch::Tensor ltF(const torch::Tensor& a, const torch::Scalar& b) { return a.lt(b); }
static torch::Tensor geF(const torch::Tensor& a, const torch::Tensor& b) { return a.ge(b); }
static torch::Tensor geF(const torch::Tensor& a, const torch::Scalar& b) { return a.ge(b); }
static torch::Tensor leF(const torch::Tensor& a, const torch::Tensor& b) { return a.le(b); }
static torch::Tensor leF(const torch::Tensor& a, const torch::Scalar& b) { return a.le(b); }
BINARY(add, addF)
BINARY(sub, subF)
BINARY(mul, mulF)
BINARY(div, divF)
BINARY(pow, powF)
BINARY(maximum, maxF)
BINARY(minimum, minF)
BINARY(eq, eqF)
BINARY(gt, gtF)
BINARY(lt, ltF)
BINARY(ge, geF)
BINARY(le, leF)

RD_FN(clamp) {
  RD_GUARD(
    c10::optional<torch::Scalar> lo, hi;
    if (info[1].IsNumber()) lo = torch::Scalar(Num(info, 1));
    if (info[2].IsNumber()) hi = torch::Scalar(Num(info, 2));
    return Wrap(info.Env(), T(info, 0).clamp(lo, hi));
  )
}
RD_FN(where) { RD_GUARD(return Wrap(info.Env(), torch::where(T(info, 0), T(info, 1), T(info, 2)));) }
RD_FN(maskedFill) { RD_GUARD(return Wrap(info.Env(), T(info, 0).masked_fill(T(info, 1), Num(info, 2)));) }
RD_FN(to) { RD_GUARD(return Wrap(info.Env(), T(info, 0).to(DType(Str(info, 1))));) }

// ---- reductions: (x, dims|null, keepdim) ----
#define REDUCE(name, all, dimsExpr)                                             \
  RD_FN(name) {                                                                 \
    RD_GUARD(                                                                   \
      auto& x = T(info, 0);                                                     \
      if (info.Length() < 2 || info[1].IsNull() || info[1].IsUndefined()) return Wrap(info.Env(), all); \
      auto dims = Ints(info, 1);                                                \
      bool keep = info.Length() > 2 && Bool(info, 2);                           \
      return Wrap(info.Env(), dimsExpr);                                        \
    )                                                                           \
  }
REDUCE(sum, x.sum(), x.sum(dims, keep))
REDUCE(mean, x.mean(), x.mean(dims, keep))
REDUCE(logsumexp, x.flatten().logsumexp(0), x.logsumexp(dims, keep))
REDUCE(variance, x.var(), x.var(dims, /*unbiased=*/false, keep))
REDUCE(amax, x.amax(), x.amax(dims, keep))
REDUCE(amin, x.amin(), x.amin(dims, keep))
RD_FN(argmax) { RD_GUARD(return Wrap(info.Env(), T(info, 0).argmax(Int(info, 1), info.Length() > 2 && Bool(info, 2)));) }
RD_FN(maxDim) {
  RD_GUARD(
    auto r = T(info, 0).max(Int(info, 1), info.Length() > 2 && Bool(info, 2));
    return WrapList(info.Env(), {std::get<0>(r), std::get<1>(r)});
  )
}
RD_FN(topk) {
  RD_GUARD(
    auto r = T(info, 0).topk(Int(info, 1), Int(info, 2));
    return WrapList(info.Env(), {std::get<0>(r), std::get<1>(r)});
  )
}
RD_FN(sort) {
  RD_GUARD(
    auto r = T(info, 0).sort(Int(info, 1), Bool(info, 2));
    return WrapList(info.Env(), {std::get<0>(r), std::get<1>(r)});
  )
}
RD_FN(cumsum) { RD_GUARD(return Wrap(info.Env(), T(info, 0).cumsum(Int(info, 1)));) }
RD_FN(norm) { RD_GUARD(return Wrap(info.Env(), T(info, 0).norm());) }

// ---- shape ----
RD_FN(reshape) { RD_GUARD(return Wrap(info.Env(), T(info, 0).reshape(Ints(info, 1)));) }
RD_FN(permute) { RD_GUARD(return Wrap(info.Env(), T(info, 0).permute(Ints(info, 1)));) }
RD_FN(transpose) { RD_GUARD(return Wrap(info.Env(), T(info, 0).transpose(Int(info, 1), Int(info, 2)));) }
RD_FN(unsqueeze) { RD_GUARD(return Wrap(info.Env(), T(info, 0).unsqueeze(Int(info, 1)));) }
RD_FN(squeeze) { RD_GUARD(return Wrap(info.Env(), T(info, 0).squeeze(Int(info, 1)));) }
RD_FN(expand) { RD_GUARD(return Wrap(info.Env(), T(info, 0).expand(Ints(info, 1)));) }
RD_FN(repeat) { RD_GUARD(return Wrap(info.Env(), T(info, 0).repeat(Ints(info, 1)));) }
RD_FN(flip) { RD_GUARD(return Wrap(info.Env(), T(info, 0).flip(Ints(info, 1)));) }
RD_FN(cat) { RD_GUARD(return Wrap(info.Env(), torch::cat(TList(info, 0), Int(info, 1)));) }
RD_FN(stack) { RD_GUARD(return Wrap(info.Env(), torch::stack(TList(info, 0), Int(info, 1)));) }
RD_FN(slice) { RD_GUARD(return Wrap(info.Env(), T(info, 0).slice(Int(info, 1), Int(info, 2), Int(info, 3), Int(info, 4)));) }
RD_FN(select) { RD_GUARD(return Wrap(info.Env(), T(info, 0).select(Int(info, 1), Int(info, 2)));) }
RD_FN(indexSelect) { RD_GUARD(return Wrap(info.Env(), T(info, 0).index_select(Int(info, 1), T(info, 2)));) }
RD_FN(gather) { RD_GUARD(return Wrap(info.Env(), T(info, 0).gather(Int(info, 1), T(info, 2)));) }
RD_FN(scatterAdd) { RD_GUARD(return Wrap(info.Env(), T(info, 0).scatter_add(Int(info, 1), T(info, 2), T(info, 3)));) }
RD_FN(index) {  // advanced indexing with a list of index tensors (null skips a dim)
  RD_GUARD(
    Napi::Array a = info[1].As<Napi::Array>();
    c10::List<c10::optional<torch::Tensor>> idx;
    for (uint32_t k = 0; k < a.Length(); k++) {
      Napi::Value v = a.Get(k);
      if (v.IsNull() || v.IsUndefined()) idx.push_back(c10::nullopt);
      else idx.push_back(TensorWrap::Unwrap(v.As<Napi::Object>())->tensor);
    }
    return Wrap(info.Env(), T(info, 0).index(idx));
  )
}
RD_FN(tril) { RD_GUARD(return Wrap(info.Env(), T(info, 0).tril(Int(info, 1)));) }
RD_FN(triu) { RD_GUARD(return Wrap(info.Env(), T(info, 0).triu(Int(info, 1)));) }
RD_FN(pad) { RD_GUARD(return Wrap(info.Env(), torch::constant_pad_nd(T(info, 0), Ints(info, 1), Num(info, 2)));) }
RD_FN(chunk) { RD_GUARD(return WrapList(info.Env(), T(info, 0).chunk(Int(info, 1), Int(info, 2)));) }

// ---- linear algebra and nn ----
RD_FN(matmul) { RD_GUARD(return Wrap(info.Env(), torch::matmul(T(info, 0), T(info, 1)));) }
RD_FN(bmm) { RD_GUARD(return Wrap(info.Env(), torch::bmm(T(info, 0), T(info, 1)));) }
RD_FN(linear) { RD_GUARD(return Wrap(info.Env(), torch::linear(T(info, 0), T(info, 1), OptT(info, 2)));) }
RD_FN(conv2d) {  // (x, w, b|null, stride[2], padding[2], dilation[2], groups)
  RD_GUARD(return Wrap(info.Env(), torch::conv2d(T(info, 0), T(info, 1), OptT(info, 2), Ints(info, 3), Ints(info, 4), Ints(info, 5), Int(info, 6)));)
}
RD_FN(convTranspose2d) {  // (x, w, b|null, stride, padding, outputPadding, groups, dilation)
  RD_GUARD(return Wrap(info.Env(), torch::conv_transpose2d(T(info, 0), T(info, 1), OptT(info, 2), Ints(info, 3), Ints(info, 4), Ints(info, 5), Int(info, 6), Ints(info, 7)));)
}
RD_FN(layerNorm) {  // (x, normalizedShape, w|null, b|null, eps)
  RD_GUARD(return Wrap(info.Env(), torch::layer_norm(T(info, 0), Ints(info, 1), OptT(info, 2), OptT(info, 3), Num(info, 4)));)
}
RD_FN(groupNorm) {  // (x, groups, w|null, b|null, eps)
  RD_GUARD(return Wrap(info.Env(), torch::group_norm(T(info, 0), Int(info, 1), OptT(info, 2), OptT(info, 3), Num(info, 4)));)
}
RD_FN(softmax) { RD_GUARD(return Wrap(info.Env(), torch::softmax(T(info, 0), Int(info, 1)));) }
RD_FN(logSoftmax) { RD_GUARD(return Wrap(info.Env(), torch::log_softmax(T(info, 0), Int(info, 1)));) }
RD_FN(embedding) { RD_GUARD(return Wrap(info.Env(), torch::embedding(T(info, 0), T(info, 1)));) }
RD_FN(crossEntropy) {  // (logits (N,C), target (N), ignoreIndex, reduction, labelSmoothing)
  RD_GUARD(
    std::string red = Str(info, 3);
    int64_t r = red == "none" ? at::Reduction::None : red == "sum" ? at::Reduction::Sum : at::Reduction::Mean;
    return Wrap(info.Env(), at::cross_entropy_loss(T(info, 0), T(info, 1), {}, r, Int(info, 2), Num(info, 4)));
  )
}
RD_FN(bceWithLogits) {  // (logits, target, reduction)
  RD_GUARD(
    std::string red = Str(info, 2);
    int64_t r = red == "none" ? at::Reduction::None : red == "sum" ? at::Reduction::Sum : at::Reduction::Mean;
    return Wrap(info.Env(), torch::binary_cross_entropy_with_logits(T(info, 0), T(info, 1), {}, {}, r));
  )
}
RD_FN(mseLoss) { RD_GUARD(return Wrap(info.Env(), torch::mse_loss(T(info, 0), T(info, 1)));) }
RD_FN(dropout) { RD_GUARD(return Wrap(info.Env(), torch::dropout(T(info, 0), Num(info, 1), Bool(info, 2)));) }
RD_FN(interpolate) {  // (x, size[2], mode: nearest|bilinear)
  RD_GUARD(
    auto& x = T(info, 0);
    auto size = Ints(info, 1);
    std::string mode = Str(info, 2);
    if (mode == "nearest") return Wrap(info.Env(), torch::upsample_nearest2d(x, size));
    if (mode == "bilinear") return Wrap(info.Env(), torch::upsample_bilinear2d(x, size, false));
    throw std::runtime_error("interpolate mode must be nearest or bilinear, got " + mode);
  )
}
RD_FN(avgPool2d) { RD_GUARD(return Wrap(info.Env(), torch::avg_pool2d(T(info, 0), Ints(info, 1), Ints(info, 2)));) }
RD_FN(bernoulli) { RD_GUARD(return Wrap(info.Env(), torch::bernoulli(T(info, 0)));) }
RD_FN(multinomial) { RD_GUARD(return Wrap(info.Env(), torch::multinomial(T(info, 0), Int(info, 1), Bool(info, 2)));) }

// ---- in-place (used under no-grad by optimizers, loaders and EMA) ----
RD_FN(copy_) { RD_GUARD(torch::NoGradGuard g; T(info, 0).copy_(T(info, 1)); return info.Env().Undefined();) }
RD_FN(fill_) { RD_GUARD(torch::NoGradGuard g; T(info, 0).fill_(Num(info, 1)); return info.Env().Undefined();) }
RD_FN(normal_) { RD_GUARD(torch::NoGradGuard g; T(info, 0).normal_(Num(info, 1), Num(info, 2)); return info.Env().Undefined();) }
RD_FN(uniform_) { RD_GUARD(torch::NoGradGuard g; T(info, 0).uniform_(Num(info, 1), Num(info, 2)); return info.Env().Undefined();) }
RD_FN(lerp_) { RD_GUARD(torch::NoGradGuard g; T(info, 0).lerp_(T(info, 1), Num(info, 2)); return info.Env().Undefined();) }
RD_FN(equal) { RD_GUARD(return Napi::Boolean::New(info.Env(), torch::equal(T(info, 0), T(info, 1)));) }
RD_FN(allclose) { RD_GUARD(return Napi::Boolean::New(info.Env(), torch::allclose(T(info, 0), T(info, 1), Num(info, 2), Num(info, 3)));) }

void InitOps(Napi::Env env, Napi::Object exports) {
  RD_EXPORT(neg); RD_EXPORT(exp); RD_EXPORT(log); RD_EXPORT(sqrt); RD_EXPORT(rsqrt); RD_EXPORT(tanh);
  RD_EXPORT(sigmoid); RD_EXPORT(relu); RD_EXPORT(silu); RD_EXPORT(abs); RD_EXPORT(square); RD_EXPORT(sin);
  RD_EXPORT(cos); RD_EXPORT(logSigmoid); RD_EXPORT(softplus); RD_EXPORT(floor); RD_EXPORT(round); RD_EXPORT(sign);
  RD_EXPORT(contiguous); RD_EXPORT(clone); RD_EXPORT(isfinite); RD_EXPORT(logicalNot); RD_EXPORT(gelu);
  RD_EXPORT(add); RD_EXPORT(sub); RD_EXPORT(mul); RD_EXPORT(div); RD_EXPORT(pow); RD_EXPORT(maximum);
  RD_EXPORT(minimum); RD_EXPORT(eq); RD_EXPORT(gt); RD_EXPORT(lt); RD_EXPORT(ge); RD_EXPORT(le);
  RD_EXPORT(clamp); RD_EXPORT(where); RD_EXPORT(maskedFill); RD_EXPORT(to);
  RD_EXPORT(sum); RD_EXPORT(mean); RD_EXPORT(logsumexp); RD_EXPORT(variance); RD_EXPORT(amax); RD_EXPORT(amin);
  RD_EXPORT(argmax); RD_EXPORT(maxDim); RD_EXPORT(topk); RD_EXPORT(sort); RD_EXPORT(cumsum); RD_EXPORT(norm);
  RD_EXPORT(reshape); RD_EXPORT(permute); RD_EXPORT(transpose); RD_EXPORT(unsqueeze); RD_EXPORT(squeeze);
  RD_EXPORT(expand); RD_EXPORT(repeat); RD_EXPORT(flip); RD_EXPORT(cat); RD_EXPORT(stack); RD_EXPORT(slice);
  RD_EXPORT(select); RD_EXPORT(indexSelect); RD_EXPORT(gather); RD_EXPORT(scatterAdd); RD_EXPORT(index);
  RD_EXPORT(tril); RD_EXPORT(triu); RD_EXPORT(pad); RD_EXPORT(chunk);
  RD_EXPORT(matmul); RD_EXPORT(bmm); RD_EXPORT(linear); RD_EXPORT(conv2d); RD_EXPORT(convTranspose2d);
  RD_EXPORT(layerNorm); RD_EXPORT(groupNorm); RD_EXPORT(softmax); RD_EXPORT(logSoftmax); RD_EXPORT(embedding);
  RD_EXPORT(crossEntropy); RD_EXPORT(bceWithLogits); RD_EXPORT(mseLoss); RD_EXPORT(dropout);
  RD_EXPORT(interpolate); RD_EXPORT(avgPool2d); RD_EXPORT(bernoulli); RD_EXPORT(multinomial);
  RD_EXPORT(copy_); RD_EXPORT(fill_); RD_EXPORT(normal_); RD_EXPORT(uniform_); RD_EXPORT(lerp_);
  RD_EXPORT(equal); RD_EXPORT(allclose);
}

}  // namespace rd
