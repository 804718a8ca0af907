// Shared pieces of the rdtorch addon: the wrapped tensor type, argument readers and the
// macro that turns libtorch errors into JavaScript exceptions (never an abort).
#pragma once
#include <napi.h>
#include <torch/torch.h>
#include <string>
#include <vector>

namespace rd {

class TensorWrap : public Napi::ObjectWrap<TensorWrap> {
 public:
  // The class's constructor in `env`. Each Node environment (the main thread and every
  // worker_threads worker) loads the addon separately and gets its own constructor, kept as the
  // environment's instance data; a process-wide static would hand one thread's handle to another.
  static Napi::Function Ctor(Napi::Env env);
  static void Init(Napi::Env env, Napi::Object exports);
  explicit TensorWrap(const Napi::CallbackInfo& info);
  ~TensorWrap() override;
  torch::Tensor tensor;
  int64_t accounted = 0;
  void Release(Napi::Env env);
  void Account(Napi::Env env);
};

Napi::Value Wrap(Napi::Env env, const torch::Tensor& t);
torch::Tensor& T(const Napi::CallbackInfo& info, size_t i);
torch::Tensor OptT(const Napi::CallbackInfo& info, size_t i);
std::vector<torch::Tensor> TList(const Napi::CallbackInfo& info, size_t i);
std::vector<int64_t> Ints(const Napi::CallbackInfo& info, size_t i);
int64_t Int(const Napi::CallbackInfo& info, size_t i);
double Num(const Napi::CallbackInfo& info, size_t i);
bool Bool(const Napi::CallbackInfo& info, size_t i);
std::string Str(const Napi::CallbackInfo& info, size_t i);
torch::ScalarType DType(const std::string& name);
std::string DTypeName(torch::ScalarType t);
Napi::Value WrapList(Napi::Env env, const std::vector<torch::Tensor>& ts);

void InitOps(Napi::Env env, Napi::Object exports);
void InitOptim(Napi::Env env, Napi::Object exports);
void InitAllocator(Napi::Env env, Napi::Object exports);

}  // namespace rd

// Every exported function body runs inside RD_GUARD so that c10::Error and std::exception
// become JavaScript Error objects with libtorch's message (without its C++ backtrace).
#define RD_GUARD(...)                                                           \
  try {                                                                         \
    __VA_ARGS__                                                                     \
  } catch (const Napi::Error&) {                                                \
    throw;                                                                      \
  } catch (const c10::Error& e) {                                               \
    throw Napi::Error::New(info.Env(), std::string("libtorch: ") + e.what_without_backtrace()); \
  } catch (const std::exception& e) {                                           \
    throw Napi::Error::New(info.Env(), std::string("libtorch: ") + e.what());   \
  }

#define RD_FN(name) static Napi::Value name(const Napi::CallbackInfo& info)
#define RD_EXPORT(name) exports.Set(#name, Napi::Function::New(env, rd::name, #name))
