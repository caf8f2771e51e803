/* Instantiate the kernels of the header named by KERNELS for float32 and
 * float64: REAL is the element type, SFX the suffix of the exported names
 * (lif_forward_f32, ...), EXP and ABS the matching libm functions, and
 * CAT(name, SFX) pastes a name and the suffix. */
#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)
#define REAL float
#define SFX f32
#define EXP expf
#define ABS fabsf
#include KERNELS
#undef REAL
#undef SFX
#undef EXP
#undef ABS
#define REAL double
#define SFX f64
#define EXP exp
#define ABS fabs
#include KERNELS
#undef REAL
#undef SFX
#undef EXP
#undef ABS
#undef CAT
#undef CAT_
