#pragma once

#include <cstddef>
#include <memory>
#include <span>

namespace msearch::inference {

// Scratch memory for forward passes: one 64-byte aligned block, carved into
// named regions per call. The block grows when a call needs more than the
// largest earlier call and is reused otherwise, so steady-state inference does
// not allocate. Not thread-safe; each model tower owns one.
class Workspace {
 public:
  // Prepares a layout: discards earlier regions (their contents become
  // undefined) and starts counting sizes for Add.
  void BeginLayout();

  // Reserves `count` floats and returns a handle for Get after Commit.
  size_t Add(size_t count);

  // Allocates (or reuses) the block for the regions added since BeginLayout.
  void Commit();

  // The region of a handle from Add.
  float* Get(size_t handle) const { return block_.get() + handle; }

  size_t capacity_bytes() const { return capacity_ * sizeof(float); }

 private:
  struct AlignedDelete {
    void operator()(float* pointer) const;
  };

  std::unique_ptr<float[], AlignedDelete> block_;
  size_t capacity_ = 0;  // floats
  size_t used_ = 0;      // floats
};

}  // namespace msearch::inference
