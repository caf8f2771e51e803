/* LIF forward kernels (see lif_kernels.h), float32 and float64. */
#define LIF_FORWARD
#define KERNELS "lif_kernels.h"
#include "both_types.h"
