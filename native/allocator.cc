// A caching CPU allocator for libtorch. Training steps allocate the same activation sizes
// every step; glibc's dynamic mmap threshold then serves those from the heap, where a Node
// process's interleaved small allocations made RSS grow without bound (~17 MB a step in a
// probe). Blocks of 64 KiB and up are kept in per-size free lists and reused, so RSS stays
// flat and large buffers are not page-faulted in again each step. Smaller blocks go straight
// to posix_memalign/free.
#include "common.h"
#include <c10/core/CPUAllocator.h>
#include <cstdlib>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <mutex>
#include <unordered_map>

namespace rd {
namespace {

constexpr size_t kAlignment = 64;               // c10's CPU alignment (AVX-512 friendly)
constexpr size_t kCacheMin = 64 * 1024;         // below this, malloc is cheap and cached blocks would fragment
constexpr size_t kRound = 4096;                 // round cached sizes to pages so near sizes share lists
constexpr size_t kDefaultCacheLimit = size_t(2) << 30;  // at most 2 GiB idle in the cache

std::mutex gMutex;
std::unordered_map<size_t, std::vector<void*>> gFree;  // size -> idle blocks of that size
std::unordered_map<void*, size_t> gSizes;              // live block -> its size
size_t gCached = 0;
size_t gCacheLimit = kDefaultCacheLimit;
size_t gLive = 0;

void* RawAlloc(size_t n) {
  void* p = nullptr;
  if (posix_memalign(&p, kAlignment, n) != 0 || p == nullptr) throw std::bad_alloc();
  return p;
}

// The context is the data pointer itself, as raw_allocate/raw_deallocate require.
void Release(void* ptr) {
  if (ptr == nullptr) return;
  {
    std::lock_guard<std::mutex> lock(gMutex);
    auto it = gSizes.find(ptr);
    size_t size = it->second;
    gSizes.erase(it);
    gLive -= size;
    if (size >= kCacheMin && size <= gCacheLimit) {
      // full: give idle blocks of other sizes back first, so the cache follows the sizes in
      // use now (batches whose shapes change every step would otherwise fill it with dead sizes)
      for (auto it2 = gFree.begin(); gCached + size > gCacheLimit && it2 != gFree.end(); ++it2) {
        while (!it2->second.empty() && gCached + size > gCacheLimit) {
          std::free(it2->second.back());
          it2->second.pop_back();
          gCached -= it2->first;
        }
      }
      gFree[size].push_back(ptr);
      gCached += size;
      return;
    }
  }
  std::free(ptr);
}

struct CachingAllocator final : public c10::Allocator {
  c10::DataPtr allocate(size_t n) const override {
    if (n == 0) return {nullptr, nullptr, &Release, c10::Device(c10::DeviceType::CPU)};
    size_t size = n >= kCacheMin ? (n + kRound - 1) / kRound * kRound : n;
    void* p = nullptr;
    {
      std::lock_guard<std::mutex> lock(gMutex);
      if (size >= kCacheMin) {
        auto it = gFree.find(size);
        if (it != gFree.end() && !it->second.empty()) {
          p = it->second.back();
          it->second.pop_back();
          gCached -= size;
        }
      }
    }
    if (p == nullptr) p = RawAlloc(size);
    {
      std::lock_guard<std::mutex> lock(gMutex);
      gSizes[p] = size;
      gLive += size;
    }
    return {p, p, &Release, c10::Device(c10::DeviceType::CPU)};
  }
  c10::DeleterFnPtr raw_deleter() const override { return &Release; }
};

CachingAllocator gAllocator;

}  // namespace

void InstallAllocator() {
#if defined(__GLIBC__)
  // A fixed mmap threshold: blocks of 64 KiB and up that leave the cache go back to the OS.
  // glibc's dynamic threshold otherwise rises after the first large free and serves such
  // blocks from the heap, which fragments without bound when batch shapes vary from step to
  // step (mixed pairwise + pointwise training grew ~30 MB a step to an OOM kill at 23 GB).
  mallopt(M_MMAP_THRESHOLD, static_cast<int>(kCacheMin));
#endif
  c10::SetCPUAllocator(&gAllocator, /*priority=*/1);
}

RD_FN(emptyCache) {
  RD_GUARD(
    std::lock_guard<std::mutex> lock(gMutex);
    for (auto& kv : gFree)
      for (void* p : kv.second) std::free(p);
    gFree.clear();
    gCached = 0;
    return info.Env().Undefined();
  )
}

RD_FN(memoryStats) {
  RD_GUARD(
    std::lock_guard<std::mutex> lock(gMutex);
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("liveBytes", Napi::Number::New(info.Env(), static_cast<double>(gLive)));
    o.Set("cachedBytes", Napi::Number::New(info.Env(), static_cast<double>(gCached)));
    return o;
  )
}

RD_FN(setCacheLimit) {
  RD_GUARD(
    std::lock_guard<std::mutex> lock(gMutex);
    gCacheLimit = static_cast<size_t>(Num(info, 0));
    return info.Env().Undefined();
  )
}

void InitAllocator(Napi::Env env, Napi::Object exports) {
  InstallAllocator();
  RD_EXPORT(emptyCache);
  RD_EXPORT(memoryStats);
  RD_EXPORT(setCacheLimit);
}

}  // namespace rd
