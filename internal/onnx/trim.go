package onnx

/*
#include <stddef.h>

// glibc's malloc_trim; weak, so a C library without it leaves it NULL.
extern int malloc_trim(size_t pad) __attribute__((weak));

static void trim_heap(void) {
	if (malloc_trim) {
		malloc_trim(0);
	}
}
*/
import "C"

// releaseFreedHeap hands the C heap's free pages back to the system. Loading a model
// parses the file and builds, converts and drops copies of its weights (IS-Net's
// float16 weights are widened to float32, the checks read the model once more), and
// the C allocator keeps all that freed memory mapped: about 230 MB of resident
// memory for IS-Net that nothing uses again. The runtime's arena for activations is
// not freed memory and is not touched.
func releaseFreedHeap() { C.trim_heap() }
