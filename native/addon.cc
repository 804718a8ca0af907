// rdtorch: the N-API addon over libtorch. This file holds the wrapped tensor, creation and
// conversion, autograd, random seeds and thread settings; ops.cc the operations; optim.cc AdamW.
#include "common.h"
#include <ATen/Parallel.h>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>

namespace rd {

void TensorWrap::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function f = DefineClass(env, "NativeTensor", {});
  // Freed with the environment (node-addon-api's default instance-data finalizer deletes it).
  env.SetInstanceData<Napi::FunctionReference>(new Napi::FunctionReference(Napi::Persistent(f)));
  exports.Set("NativeTensor", f);
}

Napi::Function TensorWrap::Ctor(Napi::Env env) { return env.GetInstanceData<Napi::FunctionReference>()->Value(); }

TensorWrap::TensorWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TensorWrap>(info) {}

TensorWrap::~TensorWrap() {
  // Finalizers may not call into the JS heap accounting reliably; the tensor's storage is
  // released by its destructor. Explicit dispose() is the deterministic path.
}

void TensorWrap::Account(Napi::Env env) {
  if (!tensor.defined()) return;
  accounted = static_cast<int64_t>(tensor.numel() * tensor.element_size());
  if (accounted > 0) Napi::MemoryManagement::AdjustExternalMemory(env, accounted);
}

void TensorWrap::Release(Napi::Env env) {
  if (accounted > 0) Napi::MemoryManagement::AdjustExternalMemory(env, -accounted);
  accounted = 0;
  tensor = torch::Tensor();
}

Napi::Value Wrap(Napi::Env env, const torch::Tensor& t) {
  Napi::Object o = TensorWrap::Ctor(env).New({});
  TensorWrap* w = TensorWrap::Unwrap(o);
  w->tensor = t;
  w->Account(env);
  return o;
}

Napi::Value WrapList(Napi::Env env, const std::vector<torch::Tensor>& ts) {
  Napi::Array a = Napi::Array::New(env, ts.size());
  for (size_t i = 0; i < ts.size(); i++) a.Set(i, Wrap(env, ts[i]));
  return a;
}

static TensorWrap* Unwrapped(Napi::Env env, Napi::Value v, size_t i) {
  if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf(TensorWrap::Ctor(env))) {
    throw Napi::TypeError::New(env, "argument " + std::to_string(i) + " must be a NativeTensor");
  }
  return TensorWrap::Unwrap(v.As<Napi::Object>());
}

torch::Tensor& T(const Napi::CallbackInfo& info, size_t i) {
  TensorWrap* w = Unwrapped(info.Env(), info[i], i);
  if (!w->tensor.defined()) throw Napi::Error::New(info.Env(), "tensor was already disposed (argument " + std::to_string(i) + ")");
  return w->tensor;
}

torch::Tensor OptT(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || info[i].IsNull() || info[i].IsUndefined()) return torch::Tensor();
  return T(info, i);
}

std::vector<torch::Tensor> TList(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsArray()) throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " must be an array of tensors");
  Napi::Array a = info[i].As<Napi::Array>();
  std::vector<torch::Tensor> out;
  out.reserve(a.Length());
  for (uint32_t k = 0; k < a.Length(); k++) {
    TensorWrap* w = Unwrapped(info.Env(), a.Get(k), i);
    if (!w->tensor.defined()) throw Napi::Error::New(info.Env(), "tensor in list was already disposed");
    out.push_back(w->tensor);
  }
  return out;
}

std::vector<int64_t> Ints(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsArray()) throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " must be an array of integers");
  Napi::Array a = info[i].As<Napi::Array>();
  std::vector<int64_t> out(a.Length());
  for (uint32_t k = 0; k < a.Length(); k++) out[k] = a.Get(k).As<Napi::Number>().Int64Value();
  return out;
}

int64_t Int(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " must be a number");
  return info[i].As<Napi::Number>().Int64Value();
}
double Num(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}
bool Bool(const Napi::CallbackInfo& info, size_t i) { return info[i].ToBoolean().Value(); }
std::string Str(const Napi::CallbackInfo& info, size_t i) { return info[i].ToString().Utf8Value(); }

torch::ScalarType DType(const std::string& n) {
  if (n == "float32") return torch::kFloat32;
  if (n == "float64") return torch::kFloat64;
  if (n == "int64") return torch::kInt64;
  if (n == "int32") return torch::kInt32;
  if (n == "uint8") return torch::kUInt8;
  if (n == "bool") return torch::kBool;
  if (n == "float16") return torch::kFloat16;
  if (n == "bfloat16") return torch::kBFloat16;
  throw std::runtime_error("unknown dtype '" + n + "' (expected float32, float64, int64, int32, uint8, bool, float16 or bfloat16)");
}

std::string DTypeName(torch::ScalarType t) {
  switch (t) {
    case torch::kFloat32: return "float32";
    case torch::kFloat64: return "float64";
    case torch::kInt64: return "int64";
    case torch::kInt32: return "int32";
    case torch::kUInt8: return "uint8";
    case torch::kBool: return "bool";
    case torch::kFloat16: return "float16";
    case torch::kBFloat16: return "bfloat16";
    default: return "other";
  }
}

// ---- creation and conversion ----

RD_FN(fromBuffer) {  // (Uint8Array|TypedArray, shape, dtype) -> copy
  RD_GUARD(
    Napi::TypedArray ta = info[0].As<Napi::TypedArray>();
    auto shape = Ints(info, 1);
    auto dt = DType(Str(info, 2));
    uint8_t* base = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
    size_t bytes = ta.ByteLength();
    int64_t numel = 1;
    for (auto s : shape) numel *= s;
    size_t need = static_cast<size_t>(numel) * c10::elementSize(dt);
    if (need != bytes) throw std::runtime_error("buffer holds " + std::to_string(bytes) + " bytes but shape needs " + std::to_string(need));
    auto t = torch::empty(shape, torch::TensorOptions().dtype(dt));
    if (bytes > 0) std::memcpy(t.data_ptr(), base, bytes);
    return Wrap(info.Env(), t);
  )
}

RD_FN(toBuffer) {  // raw little-endian bytes of a contiguous copy
  RD_GUARD(
    auto t = T(info, 0).detach().contiguous();
    size_t bytes = t.numel() * t.element_size();
    auto buf = Napi::Buffer<uint8_t>::Copy(info.Env(), static_cast<uint8_t*>(t.data_ptr()), bytes);
    return buf;
  )
}

RD_FN(zeros) { RD_GUARD(return Wrap(info.Env(), torch::zeros(Ints(info, 0), torch::TensorOptions().dtype(DType(Str(info, 1)))));) }
RD_FN(ones) { RD_GUARD(return Wrap(info.Env(), torch::ones(Ints(info, 0), torch::TensorOptions().dtype(DType(Str(info, 1)))));) }
RD_FN(full) { RD_GUARD(return Wrap(info.Env(), torch::full(Ints(info, 0), Num(info, 1), torch::TensorOptions().dtype(DType(Str(info, 2)))));) }
RD_FN(randn) { RD_GUARD(return Wrap(info.Env(), torch::randn(Ints(info, 0), torch::TensorOptions().dtype(DType(Str(info, 1)))));) }
RD_FN(rand) { RD_GUARD(return Wrap(info.Env(), torch::rand(Ints(info, 0), torch::TensorOptions().dtype(DType(Str(info, 1)))));) }
RD_FN(randint) { RD_GUARD(return Wrap(info.Env(), torch::randint(Int(info, 0), Int(info, 1), Ints(info, 2), torch::TensorOptions().dtype(torch::kInt64)));) }
RD_FN(arange) { RD_GUARD(return Wrap(info.Env(), torch::arange(Num(info, 0), Num(info, 1), Num(info, 2), torch::TensorOptions().dtype(DType(Str(info, 3)))));) }
RD_FN(eye) { RD_GUARD(return Wrap(info.Env(), torch::eye(Int(info, 0), torch::TensorOptions().dtype(DType(Str(info, 1)))));) }
RD_FN(randperm) { RD_GUARD(return Wrap(info.Env(), torch::randperm(Int(info, 0), torch::TensorOptions().dtype(torch::kInt64)));) }

RD_FN(shape) {
  RD_GUARD(
    auto& t = T(info, 0);
    Napi::Array a = Napi::Array::New(info.Env(), t.dim());
    for (int64_t i = 0; i < t.dim(); i++) a.Set(static_cast<uint32_t>(i), Napi::Number::New(info.Env(), static_cast<double>(t.size(i))));
    return a;
  )
}
RD_FN(dtype) { RD_GUARD(return Napi::String::New(info.Env(), DTypeName(T(info, 0).scalar_type()));) }
RD_FN(item) { RD_GUARD(return Napi::Number::New(info.Env(), T(info, 0).item<double>());) }
RD_FN(dispose) {
  RD_GUARD(
    TensorWrap* w = Unwrapped(info.Env(), info[0], 0);
    w->Release(info.Env());
    return info.Env().Undefined();
  )
}
RD_FN(isDisposed) { RD_GUARD(return Napi::Boolean::New(info.Env(), !Unwrapped(info.Env(), info[0], 0)->tensor.defined());) }

// ---- autograd ----
RD_FN(setRequiresGrad) { RD_GUARD(T(info, 0).requires_grad_(Bool(info, 1)); return info.Env().Undefined();) }
RD_FN(requiresGrad) { RD_GUARD(return Napi::Boolean::New(info.Env(), T(info, 0).requires_grad());) }
RD_FN(grad) {
  RD_GUARD(
    auto g = T(info, 0).grad();
    if (!g.defined()) return info.Env().Null();
    return Wrap(info.Env(), g);
  )
}
RD_FN(backward) {
  RD_GUARD(
    auto g = OptT(info, 1);
    T(info, 0).backward(g);
    return info.Env().Undefined();
  )
}
RD_FN(zeroGrad) {  // sets .grad to undefined for each tensor (set_to_none)
  RD_GUARD(
    for (auto& p : TList(info, 0)) p.mutable_grad().reset();
    return info.Env().Undefined();
  )
}
RD_FN(setGradEnabled) { RD_GUARD(c10::GradMode::set_enabled(Bool(info, 0)); return info.Env().Undefined();) }
RD_FN(isGradEnabled) { RD_GUARD(return Napi::Boolean::New(info.Env(), c10::GradMode::is_enabled());) }
RD_FN(detach) { RD_GUARD(return Wrap(info.Env(), T(info, 0).detach());) }
RD_FN(autogradGrad) {  // torch::autograd::grad(outputs, inputs, gradOutputs?, createGraph)
  RD_GUARD(
    auto outs = TList(info, 0);
    auto ins = TList(info, 1);
    std::vector<torch::Tensor> gos;
    if (info.Length() > 2 && info[2].IsArray()) gos = TList(info, 2);
    bool create = info.Length() > 3 && Bool(info, 3);
    auto gs = torch::autograd::grad(outs, ins, gos, create, create, true);
    Napi::Array a = Napi::Array::New(info.Env(), gs.size());
    for (size_t i = 0; i < gs.size(); i++) a.Set(static_cast<uint32_t>(i), gs[i].defined() ? Wrap(info.Env(), gs[i]) : info.Env().Null());
    return a;
  )
}

// ---- random and threads ----
RD_FN(manualSeed) { RD_GUARD(torch::manual_seed(static_cast<uint64_t>(Int(info, 0))); return info.Env().Undefined();) }
// libtorch's CPU matmuls go to the system BLAS. OpenBLAS keeps its own thread pool (one thread
// per core unless OPENBLAS_NUM_THREADS says otherwise), which at::set_num_threads does not
// reach; its idle threads spin, so a process asked to use one thread burned two cores. The
// BLAS pool follows the libtorch thread count when the loaded BLAS is OpenBLAS (looked up at
// run time: other BLAS builds lack the symbol and are left alone), unless the user pinned it
// with OPENBLAS_NUM_THREADS.
static void setBlasThreads(int n) {
  if (std::getenv("OPENBLAS_NUM_THREADS") != nullptr) return;
  using SetThreads = void (*)(int);
  static SetThreads set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (set) set(n);
}
RD_FN(setNumThreads) {
  RD_GUARD(
    const int n = static_cast<int>(Int(info, 0));
    at::set_num_threads(n);
    setBlasThreads(n);
    return info.Env().Undefined();
  )
}
RD_FN(getNumThreads) { RD_GUARD(return Napi::Number::New(info.Env(), at::get_num_threads());) }
RD_FN(version) { RD_GUARD(return Napi::String::New(info.Env(), TORCH_VERSION);) }
RD_FN(parallelInfo) { RD_GUARD(return Napi::String::New(info.Env(), at::get_parallel_info());) }

}  // namespace rd

static Napi::Object InitAll(Napi::Env env, Napi::Object exports) {
  using namespace rd;
  InitAllocator(env, exports);
  TensorWrap::Init(env, exports);
  RD_EXPORT(fromBuffer); RD_EXPORT(toBuffer);
  RD_EXPORT(zeros); RD_EXPORT(ones); RD_EXPORT(full); RD_EXPORT(randn); RD_EXPORT(rand);
  RD_EXPORT(randint); RD_EXPORT(arange); RD_EXPORT(eye); RD_EXPORT(randperm);
  RD_EXPORT(shape); RD_EXPORT(dtype); RD_EXPORT(item); RD_EXPORT(dispose); RD_EXPORT(isDisposed);
  RD_EXPORT(setRequiresGrad); RD_EXPORT(requiresGrad); RD_EXPORT(grad); RD_EXPORT(backward);
  RD_EXPORT(zeroGrad); RD_EXPORT(setGradEnabled); RD_EXPORT(isGradEnabled); RD_EXPORT(detach);
  RD_EXPORT(autogradGrad);
  RD_EXPORT(manualSeed); RD_EXPORT(setNumThreads); RD_EXPORT(getNumThreads); RD_EXPORT(version);
  RD_EXPORT(parallelInfo);
  InitOps(env, exports);
  InitOptim(env, exports);
  return exports;
}

NODE_API_MODULE(rdtorch, InitAll)
