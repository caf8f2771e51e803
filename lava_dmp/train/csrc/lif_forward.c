/* LIF forward kernels (see lif_kernels.h), float32 and float64. */
#define LIF_FORWARD
#define REAL float
#define SFX f32
#define EXP expf
#define ABS fabsf
#include "lif_kernels.h"
#undef REAL
#undef SFX
#undef EXP
#undef ABS
#define REAL double
#define SFX f64
#define EXP exp
#define ABS fabs
#include "lif_kernels.h"
