/* Adjoint of the Legendre memory (see lmu_kernels.h), float32 and float64. */
#define KERNELS "lmu_kernels.h"
#include "both_types.h"
