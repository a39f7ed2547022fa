//go:build !purego

// AVX2+FMA kernels. Register use in every kernel:
//   SI = next float of a (or q), DI = next float of b (or the current vector),
//   CX = floats left, Y0-Y3 = four independent accumulators (FMA latency is
//   hidden by keeping four chains in flight), Y4-Y7 = temporaries,
//   Y14 = abs mask (L1 only), Y15 = tail mask, AX/DX = scratch.
//   The two-vector batch kernels (BODY2) add BX = the current vector B,
//   Y4-Y7 = B's accumulators, Y8-Y11 = the q chunk, Y12/Y13 = temporaries.
// The 32-float main loop runs a negative index AX up to zero with SI and DI
// pointing past the block, so the loop costs one ADD and one branch.
// The tail (len mod 8) is read with VMASKMOVPS, which never touches memory
// outside the mask, so no kernel reads past the end of a slice.

#include "textflag.h"

// tailmask<>: eight all-ones dwords followed by eight zero dwords. The eight
// dwords at tailmask<>+32-4r have exactly r leading all-ones lanes.
DATA tailmask<>+0x00(SB)/8, $0xffffffffffffffff
DATA tailmask<>+0x08(SB)/8, $0xffffffffffffffff
DATA tailmask<>+0x10(SB)/8, $0xffffffffffffffff
DATA tailmask<>+0x18(SB)/8, $0xffffffffffffffff
DATA tailmask<>+0x20(SB)/8, $0
DATA tailmask<>+0x28(SB)/8, $0
DATA tailmask<>+0x30(SB)/8, $0
DATA tailmask<>+0x38(SB)/8, $0
GLOBL tailmask<>(SB), RODATA|NOPTR, $64

// ABSMASK sets every dword lane of Y14 to 0x7fffffff.
#define ABSMASK VPCMPEQD Y14, Y14, Y14; VPSRLD $1, Y14, Y14

// Dot steps: STEP32 consumes 32 floats, STEP8 8 floats, STEPM the CX (< 8)
// floats selected by the mask in Y15.
#define DOT_STEP32 \
	VMOVUPS (SI)(AX*4), Y4; VMOVUPS 32(SI)(AX*4), Y5; VMOVUPS 64(SI)(AX*4), Y6; VMOVUPS 96(SI)(AX*4), Y7; \
	VFMADD231PS (DI)(AX*4), Y4, Y0; VFMADD231PS 32(DI)(AX*4), Y5, Y1; \
	VFMADD231PS 64(DI)(AX*4), Y6, Y2; VFMADD231PS 96(DI)(AX*4), Y7, Y3
#define DOT_STEP8 VMOVUPS (SI), Y4; VFMADD231PS (DI), Y4, Y0
#define DOT_STEPM \
	VMASKMOVPS (SI), Y15, Y4; VMASKMOVPS (DI), Y15, Y5; VFMADD231PS Y5, Y4, Y1

#define L2_STEP32 \
	VMOVUPS (SI)(AX*4), Y4; VMOVUPS 32(SI)(AX*4), Y5; VMOVUPS 64(SI)(AX*4), Y6; VMOVUPS 96(SI)(AX*4), Y7; \
	VSUBPS (DI)(AX*4), Y4, Y4; VSUBPS 32(DI)(AX*4), Y5, Y5; VSUBPS 64(DI)(AX*4), Y6, Y6; VSUBPS 96(DI)(AX*4), Y7, Y7; \
	VFMADD231PS Y4, Y4, Y0; VFMADD231PS Y5, Y5, Y1; VFMADD231PS Y6, Y6, Y2; VFMADD231PS Y7, Y7, Y3
#define L2_STEP8 VMOVUPS (SI), Y4; VSUBPS (DI), Y4, Y4; VFMADD231PS Y4, Y4, Y0
#define L2_STEPM \
	VMASKMOVPS (SI), Y15, Y4; VMASKMOVPS (DI), Y15, Y5; VSUBPS Y5, Y4, Y4; VFMADD231PS Y4, Y4, Y1

#define L1_STEP32 \
	VMOVUPS (SI)(AX*4), Y4; VMOVUPS 32(SI)(AX*4), Y5; VMOVUPS 64(SI)(AX*4), Y6; VMOVUPS 96(SI)(AX*4), Y7; \
	VSUBPS (DI)(AX*4), Y4, Y4; VSUBPS 32(DI)(AX*4), Y5, Y5; VSUBPS 64(DI)(AX*4), Y6, Y6; VSUBPS 96(DI)(AX*4), Y7, Y7; \
	VANDPS Y14, Y4, Y4; VANDPS Y14, Y5, Y5; VANDPS Y14, Y6, Y6; VANDPS Y14, Y7, Y7; \
	VADDPS Y4, Y0, Y0; VADDPS Y5, Y1, Y1; VADDPS Y6, Y2, Y2; VADDPS Y7, Y3, Y3
#define L1_STEP8 VMOVUPS (SI), Y4; VSUBPS (DI), Y4, Y4; VANDPS Y14, Y4, Y4; VADDPS Y4, Y0, Y0
#define L1_STEPM \
	VMASKMOVPS (SI), Y15, Y4; VMASKMOVPS (DI), Y15, Y5; VSUBPS Y5, Y4, Y4; \
	VANDPS Y14, Y4, Y4; VADDPS Y4, Y1, Y1

// BODY runs one pair with the STEP32, STEP8 and STEPM macros in force and
// leaves the sum in X0, SI and DI just past the pair. Label arguments keep
// the labels unique within one TEXT block. The batch kernels issue no
// software prefetch: prefetching 0, 1, 4 or 8 KiB ahead measured the same,
// and the membw read loop with PREFETCHT0/PREFETCHNTA 512 B–8 KiB ahead
// streams slower than without; reading several far-apart parts at once
// (batch_amd64.go) is what raises the bandwidth one core gets.
#define BODY(l32, l8, lm, lend) \
	VXORPS Y0, Y0, Y0; VXORPS Y1, Y1, Y1; VXORPS Y2, Y2, Y2; VXORPS Y3, Y3, Y3; \
	MOVQ CX, AX; \
	ANDQ $-32, AX; \
	JEQ  l8; \
	ANDQ $31, CX; \
	LEAQ (SI)(AX*4), SI; \
	LEAQ (DI)(AX*4), DI; \
	NEGQ AX; \
l32: \
	STEP32; \
	ADDQ $32, AX; \
	JNE  l32; \
l8: \
	CMPQ CX, $8; \
	JLT  lm; \
	STEP8; \
	ADDQ $32, SI; ADDQ $32, DI; \
	SUBQ $8, CX; \
	JMP  l8; \
lm: \
	TESTQ CX, CX; \
	JEQ   lend; \
	LEAQ  tailmask<>+32(SB), DX; \
	MOVQ  CX, AX; \
	SHLQ  $2, AX; \
	SUBQ  AX, DX; \
	VMOVDQU (DX), Y15; \
	STEPM; \
	ADDQ AX, SI; ADDQ AX, DI; \
lend: \
	VADDPS Y1, Y0, Y0; VADDPS Y3, Y2, Y2; VADDPS Y2, Y0, Y0; \
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
	BODY(l32, l8, lm, lend); \
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
	BODY(l32, l8, lm, lend); \
	VMOVSS X0, (R10); \
	ADDQ $4, R10; \
	DECQ R11; \
	JNZ  vec; \
done: \
	VZEROUPPER; \
	RET


// Two-vector steps for the batch kernels: vectors A (DI) and B (BX) are
// scored against the same q chunk, loaded once into Y8-Y11. A sums into
// Y0-Y3 and B into Y4-Y7 in exactly the order STEP32/STEP8/STEPM use for a
// single pair, so a batch score is bit for bit the pair kernel's.
// Y12 and Y13 are temporaries.
#define QLOAD32 \
	VMOVUPS (SI)(AX*4), Y8; VMOVUPS 32(SI)(AX*4), Y9; VMOVUPS 64(SI)(AX*4), Y10; VMOVUPS 96(SI)(AX*4), Y11

#define DOT2_STEP32 \
	QLOAD32; \
	VFMADD231PS (DI)(AX*4), Y8, Y0; VFMADD231PS 32(DI)(AX*4), Y9, Y1; \
	VFMADD231PS 64(DI)(AX*4), Y10, Y2; VFMADD231PS 96(DI)(AX*4), Y11, Y3; \
	VFMADD231PS (BX)(AX*4), Y8, Y4; VFMADD231PS 32(BX)(AX*4), Y9, Y5; \
	VFMADD231PS 64(BX)(AX*4), Y10, Y6; VFMADD231PS 96(BX)(AX*4), Y11, Y7
#define DOT2_STEP8 VMOVUPS (SI), Y8; VFMADD231PS (DI), Y8, Y0; VFMADD231PS (BX), Y8, Y4
#define DOT2_STEPM \
	VMASKMOVPS (SI), Y15, Y8; VMASKMOVPS (DI), Y15, Y12; VMASKMOVPS (BX), Y15, Y13; \
	VFMADD231PS Y12, Y8, Y1; VFMADD231PS Y13, Y8, Y5

// L2_SQ(m, q, acc): acc += (q - m)².
#define L2_SQ(m, q, acc) VSUBPS m, q, Y12; VFMADD231PS Y12, Y12, acc
#define L2_2_STEP32 \
	QLOAD32; \
	L2_SQ((DI)(AX*4), Y8, Y0); L2_SQ(32(DI)(AX*4), Y9, Y1); \
	L2_SQ(64(DI)(AX*4), Y10, Y2); L2_SQ(96(DI)(AX*4), Y11, Y3); \
	L2_SQ((BX)(AX*4), Y8, Y4); L2_SQ(32(BX)(AX*4), Y9, Y5); \
	L2_SQ(64(BX)(AX*4), Y10, Y6); L2_SQ(96(BX)(AX*4), Y11, Y7)
#define L2_2_STEP8 VMOVUPS (SI), Y8; L2_SQ((DI), Y8, Y0); L2_SQ((BX), Y8, Y4)
#define L2_2_STEPM \
	VMASKMOVPS (SI), Y15, Y8; VMASKMOVPS (DI), Y15, Y13; L2_SQ(Y13, Y8, Y1); \
	VMASKMOVPS (BX), Y15, Y13; L2_SQ(Y13, Y8, Y5)

// L1_ABS(m, q, acc): acc += |q - m|.
#define L1_ABS(m, q, acc) VSUBPS m, q, Y12; VANDPS Y14, Y12, Y12; VADDPS Y12, acc, acc
#define L1_2_STEP32 \
	QLOAD32; \
	L1_ABS((DI)(AX*4), Y8, Y0); L1_ABS(32(DI)(AX*4), Y9, Y1); \
	L1_ABS(64(DI)(AX*4), Y10, Y2); L1_ABS(96(DI)(AX*4), Y11, Y3); \
	L1_ABS((BX)(AX*4), Y8, Y4); L1_ABS(32(BX)(AX*4), Y9, Y5); \
	L1_ABS(64(BX)(AX*4), Y10, Y6); L1_ABS(96(BX)(AX*4), Y11, Y7)
#define L1_2_STEP8 VMOVUPS (SI), Y8; L1_ABS((DI), Y8, Y0); L1_ABS((BX), Y8, Y4)
#define L1_2_STEPM \
	VMASKMOVPS (SI), Y15, Y8; VMASKMOVPS (DI), Y15, Y13; L1_ABS(Y13, Y8, Y1); \
	VMASKMOVPS (BX), Y15, Y13; L1_ABS(Y13, Y8, Y5)

// BODY2 is BODY for two vectors at once, A at DI and B at BX: it leaves A's
// score in X1 and B's in X4, and SI, DI and BX just past their vectors. The
// two horizontal sums run side by side, A in the low and B in the high half
// of Y1, adding the same lanes in the same order as BODY.
#define BODY2(l32, l8, lm, lend) \
	VXORPS Y0, Y0, Y0; VXORPS Y1, Y1, Y1; VXORPS Y2, Y2, Y2; VXORPS Y3, Y3, Y3; \
	VXORPS Y4, Y4, Y4; VXORPS Y5, Y5, Y5; VXORPS Y6, Y6, Y6; VXORPS Y7, Y7, Y7; \
	MOVQ CX, AX; \
	ANDQ $-32, AX; \
	JEQ  l8; \
	ANDQ $31, CX; \
	LEAQ (SI)(AX*4), SI; \
	LEAQ (DI)(AX*4), DI; \
	LEAQ (BX)(AX*4), BX; \
	NEGQ AX; \
l32: \
	STEP2_32; \
	ADDQ $32, AX; \
	JNE  l32; \
l8: \
	CMPQ CX, $8; \
	JLT  lm; \
	STEP2_8; \
	ADDQ $32, SI; ADDQ $32, DI; ADDQ $32, BX; \
	SUBQ $8, CX; \
	JMP  l8; \
lm: \
	TESTQ CX, CX; \
	JEQ   lend; \
	LEAQ  tailmask<>+32(SB), DX; \
	MOVQ  CX, AX; \
	SHLQ  $2, AX; \
	SUBQ  AX, DX; \
	VMOVDQU (DX), Y15; \
	STEP2_M; \
	ADDQ AX, SI; ADDQ AX, DI; ADDQ AX, BX; \
lend: \
	VADDPS Y1, Y0, Y0; VADDPS Y3, Y2, Y2; VADDPS Y2, Y0, Y0; \
	VADDPS Y5, Y4, Y4; VADDPS Y7, Y6, Y6; VADDPS Y6, Y4, Y4; \
	VPERM2F128 $0x20, Y4, Y0, Y1; VPERM2F128 $0x31, Y4, Y0, Y2; VADDPS Y2, Y1, Y1; \
	VSHUFPS $0xee, Y1, Y1, Y2; VADDPS Y2, Y1, Y1; \
	VMOVSHDUP Y1, Y2; VADDPS Y2, Y1, Y1; \
	VEXTRACTF128 $1, Y1, X4

// BATCH2 scores n pairs of vectors: pair i is A at a + i*(len(q)*4+vskip)
// bytes and B at b + the same, written to oa + i*oskip and ob + i*oskip.
// The Go caller guarantees len(q) > 0 and that every address is in range.
#define BATCH2 \
	MOVQ q_base+0(FP), R8; \
	MOVQ q_len+8(FP), R9; \
	MOVQ a+24(FP), DI; \
	MOVQ b+32(FP), BX; \
	MOVQ oa+40(FP), R10; \
	MOVQ ob+48(FP), R13; \
	MOVQ vskip+56(FP), R12; \
	MOVQ n+72(FP), R11; \
	TESTQ R11, R11; \
	JEQ  done; \
pair: \
	MOVQ R8, SI; \
	MOVQ R9, CX; \
	BODY2(l32, l8, lm, lend); \
	VMOVSS X1, (R10); \
	VMOVSS X4, (R13); \
	ADDQ R12, DI; \
	ADDQ R12, BX; \
	MOVQ oskip+64(FP), DX; \
	ADDQ DX, R10; \
	ADDQ DX, R13; \
	DECQ R11; \
	JNZ  pair; \
done: \
	VZEROUPPER; \
	RET

#define STEP32 DOT_STEP32
#define STEP8 DOT_STEP8
#define STEPM DOT_STEPM

// func dotAVX2(a, b []float32) float32
TEXT ·dotAVX2(SB), NOSPLIT, $0-52
	PAIR

// func dotBatchAVX2(q, vecs, out []float32)
TEXT ·dotBatchAVX2(SB), NOSPLIT, $0-72
	BATCH

#define STEP2_32 DOT2_STEP32
#define STEP2_8 DOT2_STEP8
#define STEP2_M DOT2_STEPM

// func dotBatch2AVX2(q []float32, a, b, oa, ob unsafe.Pointer, vskip, oskip uintptr, n int)
TEXT ·dotBatch2AVX2(SB), NOSPLIT, $0-80
	BATCH2

#undef STEP2_32
#undef STEP2_8
#undef STEP2_M

#undef STEP32
#undef STEP8
#undef STEPM
#define STEP32 L2_STEP32
#define STEP8 L2_STEP8
#define STEPM L2_STEPM

// func l2AVX2(a, b []float32) float32
TEXT ·l2AVX2(SB), NOSPLIT, $0-52
	PAIR

// func l2BatchAVX2(q, vecs, out []float32)
TEXT ·l2BatchAVX2(SB), NOSPLIT, $0-72
	BATCH

#define STEP2_32 L2_2_STEP32
#define STEP2_8 L2_2_STEP8
#define STEP2_M L2_2_STEPM

// func l2Batch2AVX2(q []float32, a, b, oa, ob unsafe.Pointer, vskip, oskip uintptr, n int)
TEXT ·l2Batch2AVX2(SB), NOSPLIT, $0-80
	BATCH2

#undef STEP2_32
#undef STEP2_8
#undef STEP2_M

#undef STEP32
#undef STEP8
#undef STEPM
#define STEP32 L1_STEP32
#define STEP8 L1_STEP8
#define STEPM L1_STEPM

// func l1AVX2(a, b []float32) float32
TEXT ·l1AVX2(SB), NOSPLIT, $0-52
	ABSMASK
	PAIR

// func l1BatchAVX2(q, vecs, out []float32)
TEXT ·l1BatchAVX2(SB), NOSPLIT, $0-72
	ABSMASK
	BATCH

#define STEP2_32 L1_2_STEP32
#define STEP2_8 L1_2_STEP8
#define STEP2_M L1_2_STEPM

// func l1Batch2AVX2(q []float32, a, b, oa, ob unsafe.Pointer, vskip, oskip uintptr, n int)
TEXT ·l1Batch2AVX2(SB), NOSPLIT, $0-80
	ABSMASK
	BATCH2

#undef STEP2_32
#undef STEP2_8
#undef STEP2_M
