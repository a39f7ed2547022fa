//go:build !purego

// NEON (ASIMD) kernels. Register use in every kernel:
//   R0 = next float of a (or q), R1 = next float of b (or the current
//   vector), R2 = floats left, V16-V19 = four independent accumulators,
//   V0-V7 = temporaries. The scalar tail (len mod 4) accumulates in F16
//   (the low lane of V16) after the vector reduction.
// Go's assembler has no mnemonics for the vector float FADD, FSUB, FABD and
// FADDP, so those are WORD-encoded below (encodings from llvm-mc).

#include "textflag.h"

// fadd v16.4s, v16.4s, v17.4s
#define FADD_16_17 WORD $0x4e31d610
// fadd v18.4s, v18.4s, v19.4s
#define FADD_18_19 WORD $0x4e33d652
// fadd v16.4s, v16.4s, v18.4s
#define FADD_16_18 WORD $0x4e32d610
// faddp v16.4s, v16.4s, v16.4s
#define FADDP_16 WORD $0x6e30d610
// faddp s16, v16.2s
#define FADDP_S16 WORD $0x7e30da10
// fsub vN.4s, vN.4s, v(N+4).4s for N = 0..3
#define FSUB_0_4 WORD $0x4ea4d400
#define FSUB_1_5 WORD $0x4ea5d421
#define FSUB_2_6 WORD $0x4ea6d442
#define FSUB_3_7 WORD $0x4ea7d463
// fabd vN.4s, vN.4s, v(N+4).4s for N = 0..3
#define FABD_0_4 WORD $0x6ea4d400
#define FABD_1_5 WORD $0x6ea5d421
#define FABD_2_6 WORD $0x6ea6d442
#define FABD_3_7 WORD $0x6ea7d463
// fadd v(16+N).4s, v(16+N).4s, vN.4s for N = 0..3
#define FADD_16_0 WORD $0x4e20d610
#define FADD_17_1 WORD $0x4e21d631
#define FADD_18_2 WORD $0x4e22d652
#define FADD_19_3 WORD $0x4e23d673

#define LOAD16 \
	VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]; \
	VLD1.P 64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
#define LOAD4 VLD1.P 16(R0), [V0.S4]; VLD1.P 16(R1), [V4.S4]
#define LOAD1 FMOVS.P 4(R0), F0; FMOVS.P 4(R1), F4

#define DOT_STEP16 \
	LOAD16; \
	VFMLA V4.S4, V0.S4, V16.S4; VFMLA V5.S4, V1.S4, V17.S4; \
	VFMLA V6.S4, V2.S4, V18.S4; VFMLA V7.S4, V3.S4, V19.S4
#define DOT_STEP4 LOAD4; VFMLA V4.S4, V0.S4, V16.S4
#define DOT_STEP1 LOAD1; FMULS F4, F0, F0; FADDS F0, F16, F16

#define L2_STEP16 \
	LOAD16; \
	FSUB_0_4; FSUB_1_5; FSUB_2_6; FSUB_3_7; \
	VFMLA V0.S4, V0.S4, V16.S4; VFMLA V1.S4, V1.S4, V17.S4; \
	VFMLA V2.S4, V2.S4, V18.S4; VFMLA V3.S4, V3.S4, V19.S4
#define L2_STEP4 LOAD4; FSUB_0_4; VFMLA V0.S4, V0.S4, V16.S4
#define L2_STEP1 LOAD1; FSUBS F4, F0, F0; FMULS F0, F0, F0; FADDS F0, F16, F16

#define L1_STEP16 \
	LOAD16; \
	FABD_0_4; FABD_1_5; FABD_2_6; FABD_3_7; \
	FADD_16_0; FADD_17_1; FADD_18_2; FADD_19_3
#define L1_STEP4 LOAD4; FABD_0_4; FADD_16_0
#define L1_STEP1 LOAD1; FSUBS F4, F0, F0; FABSS F0, F0; FADDS F0, F16, F16

// BODY runs one pair with the STEP16, STEP4 and STEP1 macros in force and
// leaves the sum in F16, R0 and R1 just past the pair.
#define BODY(l16, l4, lred, l1, lend) \
	VEOR V16.B16, V16.B16, V16.B16; VEOR V17.B16, V17.B16, V17.B16; \
	VEOR V18.B16, V18.B16, V18.B16; VEOR V19.B16, V19.B16, V19.B16; \
	CMP  $16, R2; \
	BLT  l4; \
l16: \
	STEP16; \
	SUB  $16, R2; \
	CMP  $16, R2; \
	BGE  l16; \
l4: \
	CMP  $4, R2; \
	BLT  lred; \
	STEP4; \
	SUB  $4, R2; \
	B    l4; \
lred: \
	FADD_16_17; FADD_18_19; FADD_16_18; FADDP_16; FADDP_S16; \
l1: \
	CBZ  R2, lend; \
	STEP1; \
	SUB  $1, R2; \
	B    l1; \
lend:

// PAIR loads a and b, sets R2 = min(len(a), len(b)) and runs BODY.
#define PAIR \
	MOVD a_base+0(FP), R0; \
	MOVD a_len+8(FP), R2; \
	MOVD b_base+24(FP), R1; \
	MOVD b_len+32(FP), R3; \
	CMP  R3, R2; \
	CSEL LT, R2, R3, R2; \
	BODY(l16, l4, lred, l1, lend); \
	FMOVS F16, ret+48(FP); \
	RET

// BATCH scores q (R3, length R4) against R5 = min(len(vecs)/len(q),
// len(out)) consecutive vectors starting at R1, writing out[i] through R6.
#define BATCH \
	MOVD q_base+0(FP), R3; \
	MOVD q_len+8(FP), R4; \
	MOVD vecs_base+24(FP), R1; \
	MOVD vecs_len+32(FP), R7; \
	MOVD out_base+48(FP), R6; \
	MOVD out_len+56(FP), R8; \
	CBZ  R4, done; \
	UDIV R4, R7, R5; \
	CMP  R8, R5; \
	CSEL LO, R5, R8, R5; \
	CBZ  R5, done; \
vec: \
	MOVD R3, R0; \
	MOVD R4, R2; \
	BODY(l16, l4, lred, l1, lend); \
	FMOVS.P F16, 4(R6); \
	SUBS $1, R5, R5; \
	BNE  vec; \
done: \
	RET

#define STEP16 DOT_STEP16
#define STEP4 DOT_STEP4
#define STEP1 DOT_STEP1

// func dotNEON(a, b []float32) float32
TEXT ·dotNEON(SB), NOSPLIT, $0-52
	PAIR

// func dotBatchNEON(q, vecs, out []float32)
TEXT ·dotBatchNEON(SB), NOSPLIT, $0-72
	BATCH

#undef STEP16
#undef STEP4
#undef STEP1
#define STEP16 L2_STEP16
#define STEP4 L2_STEP4
#define STEP1 L2_STEP1

// func l2NEON(a, b []float32) float32
TEXT ·l2NEON(SB), NOSPLIT, $0-52
	PAIR

// func l2BatchNEON(q, vecs, out []float32)
TEXT ·l2BatchNEON(SB), NOSPLIT, $0-72
	BATCH

#undef STEP16
#undef STEP4
#undef STEP1
#define STEP16 L1_STEP16
#define STEP4 L1_STEP4
#define STEP1 L1_STEP1

// func l1NEON(a, b []float32) float32
TEXT ·l1NEON(SB), NOSPLIT, $0-52
	PAIR

// func l1BatchNEON(q, vecs, out []float32)
TEXT ·l1BatchNEON(SB), NOSPLIT, $0-72
	BATCH
