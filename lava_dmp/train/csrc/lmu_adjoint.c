/* Adjoint of the Legendre memory (see lmu_kernels.h), float32 and float64. */
#define REAL float
#define SFX f32
#include "lmu_kernels.h"
#undef REAL
#undef SFX
#define REAL double
#define SFX f64
#include "lmu_kernels.h"
