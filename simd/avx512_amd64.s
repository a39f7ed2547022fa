//go:build !purego

// AVX-512F kernels. Register use in every kernel:
//   SI = next float of a (or q), DI = next float of b (or the current vector),
//   CX = floats left, Z0-Z3 = four independent accumulators, Z4-Z7 =
//   temporaries, Z14 = abs mask (L1 only), K1 = tail mask, AX/DX = scratch.
// The tail (len mod 16) is read with zero-masking loads (VMOVUPS.Z), which
// suppress faults in masked-off lanes, so no kernel reads past the end of a
// slice. Only AVX512F instructions are used on ZMM registers (VPANDD and
// VPXORD, not the AVX512DQ VANDPS/VXORPS forms).

#include "textflag.h"

// ABSMASK sets every dword lane of Z14 to 0x7fffffff.
#define ABSMASK VPTERNLOGD $0xff, Z14, Z14, Z14; VPSRLD $1, Z14, Z14

#define DOT_STEP64 \
	VMOVUPS (SI), Z4; VMOVUPS 64(SI), Z5; VMOVUPS 128(SI), Z6; VMOVUPS 192(SI), Z7; \
	VFMADD231PS (DI), Z4, Z0; VFMADD231PS 64(DI), Z5, Z1; \
	VFMADD231PS 128(DI), Z6, Z2; VFMADD231PS 192(DI), Z7, Z3
#define DOT_STEP16 VMOVUPS (SI), Z4; VFMADD231PS (DI), Z4, Z0
#define DOT_STEPM \
	VMOVUPS.Z (SI), K1, Z4; VMOVUPS.Z (DI), K1, Z5; VFMADD231PS Z5, Z4, Z1

#define L2_STEP64 \
	VMOVUPS (SI), Z4; VMOVUPS 64(SI), Z5; VMOVUPS 128(SI), Z6; VMOVUPS 192(SI), Z7; \
	VSUBPS (DI), Z4, Z4; VSUBPS 64(DI), Z5, Z5; VSUBPS 128(DI), Z6, Z6; VSUBPS 192(DI), Z7, Z7; \
	VFMADD231PS Z4, Z4, Z0; VFMADD231PS Z5, Z5, Z1; VFMADD231PS Z6, Z6, Z2; VFMADD231PS Z7, Z7, Z3
#define L2_STEP16 VMOVUPS (SI), Z4; VSUBPS (DI), Z4, Z4; VFMADD231PS Z4, Z4, Z0
#define L2_STEPM \
	VMOVUPS.Z (SI), K1, Z4; VMOVUPS.Z (DI), K1, Z5; VSUBPS Z5, Z4, Z4; VFMADD231PS Z4, Z4, Z1

#define L1_STEP64 \
	VMOVUPS (SI), Z4; VMOVUPS 64(SI), Z5; VMOVUPS 128(SI), Z6; VMOVUPS 192(SI), Z7; \
	VSUBPS (DI), Z4, Z4; VSUBPS 64(DI), Z5, Z5; VSUBPS 128(DI), Z6, Z6; VSUBPS 192(DI), Z7, Z7; \
	VPANDD Z14, Z4, Z4; VPANDD Z14, Z5, Z5; VPANDD Z14, Z6, Z6; VPANDD Z14, Z7, Z7; \
	VADDPS Z4, Z0, Z0; VADDPS Z5, Z1, Z1; VADDPS Z6, Z2, Z2; VADDPS Z7, Z3, Z3
#define L1_STEP16 VMOVUPS (SI), Z4; VSUBPS (DI), Z4, Z4; VPANDD Z14, Z4, Z4; VADDPS Z4, Z0, Z0
#define L1_STEPM \
	VMOVUPS.Z (SI), K1, Z4; VMOVUPS.Z (DI), K1, Z5; VSUBPS Z5, Z4, Z4; \
	VPANDD Z14, Z4, Z4; VADDPS Z4, Z1, Z1

// BODY runs one pair with the STEP64, STEP16 and STEPM macros in force and
// leaves the sum in X0, SI and DI just past the pair.
#define BODY(l64, l16, lm, lend) \
	VPXORD Z0, Z0, Z0; VPXORD Z1, Z1, Z1; VPXORD Z2, Z2, Z2; VPXORD Z3, Z3, Z3; \
	CMPQ CX, $64; \
	JLT  l16; \
l64: \
	STEP64; \
	ADDQ $256, SI; ADDQ $256, DI; \
	SUBQ $64, CX; \
	CMPQ CX, $64; \
	JGE  l64; \
l16: \
	CMPQ CX, $16; \
	JLT  lm; \
	STEP16; \
	ADDQ $64, SI; ADDQ $64, DI; \
	SUBQ $16, CX; \
	JMP  l16; \
lm: \
	TESTQ CX, CX; \
	JEQ   lend; \
	MOVL  $1, AX; \
	SHLL  CX, AX; \
	DECL  AX; \
	KMOVW AX, K1; \
	STEPM; \
	LEAQ (SI)(CX*4), SI; LEAQ (DI)(CX*4), DI; \
lend: \
	VADDPS Z1, Z0, Z0; VADDPS Z3, Z2, Z2; VADDPS Z2, Z0, Z0; \
	VEXTRACTF64X4 $1, Z0, Y1; VADDPS Y1, Y0, Y0; \
	VEXTRACTF128 $1, Y0, X1; VADDPS X1, X0, X0; \
	VMOVHLPS X0, X0, X1; VADDPS X1, X0, X0; \
	VMOVSHDUP X0, X1; VADDSS X1, X0, X0

// PAIR loads a and b, sets CX = min(len(a), len(b)) and runs BODY.
#define PAIR \
	MOVQ a_base+0(FP), SI; \
	MOVQ a_len+8(FP), CX; \
	MOVQ b_base+24(FP), DI; \
	MOVQ b_len+32(FP), AX; \
	CMPQ AX, CX; \
	CMOVQLT AX, CX; \
	BODY(l64, l16, lm, lend); \
	VZEROUPPER; \
	MOVSS X0, ret+48(FP); \
	RET

// BATCH scores q (R8, length R9) against R11 = min(len(vecs)/len(q),
// len(out)) consecutive vectors starting at DI, writing out[i] through R10.
#define BATCH \
	MOVQ q_base+0(FP), R8; \
	MOVQ q_len+8(FP), R9; \
	MOVQ vecs_base+24(FP), DI; \
	MOVQ vecs_len+32(FP), AX; \
	MOVQ out_base+48(FP), R10; \
	MOVQ out_len+56(FP), R11; \
	TESTQ R9, R9; \
	JEQ  done; \
	XORQ DX, DX; \
	DIVQ R9; \
	CMPQ AX, R11; \
	CMOVQLT AX, R11; \
	TESTQ R11, R11; \
	JEQ  done; \
vec: \
	MOVQ R8, SI; \
	MOVQ R9, CX; \
	BODY(l64, l16, lm, lend); \
	VMOVSS X0, (R10); \
	ADDQ $4, R10; \
	DECQ R11; \
	JNZ  vec; \
done: \
	VZEROUPPER; \
	RET

#define STEP64 DOT_STEP64
#define STEP16 DOT_STEP16
#define STEPM DOT_STEPM

// func dotAVX512(a, b []float32) float32
TEXT ·dotAVX512(SB), NOSPLIT, $0-52
	PAIR

// func dotBatchAVX512(q, vecs, out []float32)
TEXT ·dotBatchAVX512(SB), NOSPLIT, $0-72
	BATCH

#undef STEP64
#undef STEP16
#undef STEPM
#define STEP64 L2_STEP64
#define STEP16 L2_STEP16
#define STEPM L2_STEPM

// func l2AVX512(a, b []float32) float32
TEXT ·l2AVX512(SB), NOSPLIT, $0-52
	PAIR

// func l2BatchAVX512(q, vecs, out []float32)
TEXT ·l2BatchAVX512(SB), NOSPLIT, $0-72
	BATCH

#undef STEP64
#undef STEP16
#undef STEPM
#define STEP64 L1_STEP64
#define STEP16 L1_STEP16
#define STEPM L1_STEPM

// func l1AVX512(a, b []float32) float32
TEXT ·l1AVX512(SB), NOSPLIT, $0-52
	ABSMASK
	PAIR

// func l1BatchAVX512(q, vecs, out []float32)
TEXT ·l1BatchAVX512(SB), NOSPLIT, $0-72
	ABSMASK
	BATCH
