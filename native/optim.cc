// Optimizer kernels: AdamW (decoupled weight decay) and global gradient-norm clipping, done
// in C++ so that one JS call updates every parameter. State tensors live in JS so that
// checkpoints can save and restore them exactly.
#include "common.h"

namespace rd {

// adamwStep(params, expAvg, expAvgSq, step, lr, beta1, beta2, eps, weightDecay)
RD_FN(adamwStep) {
  RD_GUARD(
    auto ps = TList(info, 0);
    auto ms = TList(info, 1);
    auto vs = TList(info, 2);
    double step = Num(info, 3), lr = Num(info, 4), b1 = Num(info, 5), b2 = Num(info, 6), eps = Num(info, 7), wd = Num(info, 8);
    if (ps.size() != ms.size() || ps.size() != vs.size()) throw std::runtime_error("adamwStep: params and state lists differ in length");
    torch::NoGradGuard guard;
    double bc1 = 1.0 - std::pow(b1, step);
    double bc2 = 1.0 - std::pow(b2, step);
    for (size_t i = 0; i < ps.size(); i++) {
      auto& p = ps[i];
      const auto& g = p.grad();
      if (!g.defined()) continue;
      if (wd != 0.0) p.mul_(1.0 - lr * wd);
      ms[i].mul_(b1).add_(g, 1.0 - b1);
      vs[i].mul_(b2).addcmul_(g, g, 1.0 - b2);
      auto denom = (vs[i].sqrt() / std::sqrt(bc2)).add_(eps);
      p.addcdiv_(ms[i], denom, -lr / bc1);
    }
    return info.Env().Undefined();
  )
}

// clipGradNorm(params, maxNorm) -> total norm before clipping
RD_FN(clipGradNorm) {
  RD_GUARD(
    auto ps = TList(info, 0);
    double maxNorm = Num(info, 1);
    torch::NoGradGuard guard;
    std::vector<torch::Tensor> norms;
    for (auto& p : ps) if (p.grad().defined()) norms.push_back(p.grad().norm(2).to(torch::kFloat64));
    if (norms.empty()) return Napi::Number::New(info.Env(), 0.0);
    double total = torch::stack(norms).norm(2).item<double>();
    double coef = maxNorm / (total + 1e-6);
    if (coef < 1.0) for (auto& p : ps) if (p.grad().defined()) p.mutable_grad().mul_(coef);
    return Napi::Number::New(info.Env(), total);
  )
}

void InitOptim(Napi::Env env, Napi::Object exports) {
  RD_EXPORT(adamwStep);
  RD_EXPORT(clipGradNorm);
}

}  // namespace rd
