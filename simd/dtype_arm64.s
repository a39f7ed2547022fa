//go:build !purego

// The float16 and uint8 NEON kernels (dtype.go). Every kernel scores the
// whole of a, whose length must be a multiple of its block (8 halves or 16
// bytes; withTailF16 and withTailU8 run the rest in Go), and reads len(a)
// elements of b.
//   R0 = a, R1 = b, R2 = elements left, V16-V19 = accumulators,
//   V0-V7 and V20-V23 = temporaries.
// float16 is widened with FCVTL/FCVTL2 (exact) and summed with FMLA in
// float32. uint8 products (or squared absolute differences, UABD) are
// formed exactly in 16 bits by UMULL/UMULL2 (255² < 2¹⁶) and added pairwise
// into 32-bit lanes by UADALP. Go's assembler lacks these mnemonics: they
// are WORD-encoded (encodings from llvm-mc).

#include "textflag.h"

// fcvtl/fcvtl2: V4,V5 = widen(V0); V6,V7 = widen(V1);
// V20,V21 = widen(V2); V22,V23 = widen(V3)
#define CVT_A0 WORD $0x0e217804; WORD $0x4e217805
#define CVT_A1 WORD $0x0e217826; WORD $0x4e217827
#define CVT_B0 WORD $0x0e217854; WORD $0x4e217855
#define CVT_B1 WORD $0x0e217876; WORD $0x4e217877
// fsub vN.4s, vN.4s, v(N+16).4s for N = 4..7
#define FSUB_4_20 WORD $0x4eb4d484
#define FSUB_5_21 WORD $0x4eb5d4a5
#define FSUB_6_22 WORD $0x4eb6d4c6
#define FSUB_7_23 WORD $0x4eb7d4e7
// umull/umull2 v4,v5 = v0*v2; v6,v7 = v1*v3
#define MUL_0_2 WORD $0x2e22c004; WORD $0x6e22c005
#define MUL_1_3 WORD $0x2e23c026; WORD $0x6e23c027
// umull/umull2 v4,v5 = v0*v0; v6,v7 = v1*v1
#define SQR_0 WORD $0x2e20c004; WORD $0x6e20c005
#define SQR_1 WORD $0x2e21c026; WORD $0x6e21c027
// uabd v0 = |v0-v2|, v1 = |v1-v3| (bytes)
#define ABD_0_2 WORD $0x6e227400
#define ABD_1_3 WORD $0x6e237421
// uadalp v(16+N).4s, v(4+N).8h for N = 0..3
#define ACC_16_4 WORD $0x6e606890
#define ACC_17_5 WORD $0x6e6068b1
#define ACC_18_6 WORD $0x6e6068d2
#define ACC_19_7 WORD $0x6e6068f3
// add v16 += v17; v18 += v19; v16 += v18; addv s16, v16.4s
#define IREDUCE WORD $0x4eb18610; WORD $0x4eb38652; WORD $0x4eb28610; WORD $0x4eb1ba10
// fadd v16 += v17; v18 += v19; v16 += v18; faddp; faddp
#define FREDUCE WORD $0x4e31d610; WORD $0x4e33d652; WORD $0x4e32d610; WORD $0x6e30d610; WORD $0x7e30da10

#define ZERO4 \
	VEOR V16.B16, V16.B16, V16.B16; VEOR V17.B16, V17.B16, V17.B16; \
	VEOR V18.B16, V18.B16, V18.B16; VEOR V19.B16, V19.B16, V19.B16

#define ARGS \
	MOVD a_base+0(FP), R0; \
	MOVD a_len+8(FP), R2; \
	MOVD b_base+24(FP), R1

#define F16_LOAD16 VLD1.P 32(R0), [V0.H8, V1.H8]; VLD1.P 32(R1), [V2.H8, V3.H8]; \
	CVT_A0; CVT_A1; CVT_B0; CVT_B1
#define F16_LOAD8 VLD1.P 16(R0), [V0.H8]; VLD1.P 16(R1), [V2.H8]; CVT_A0; CVT_B0

#define DOTF16_STEP16 F16_LOAD16; \
	VFMLA V20.S4, V4.S4, V16.S4; VFMLA V21.S4, V5.S4, V17.S4; \
	VFMLA V22.S4, V6.S4, V18.S4; VFMLA V23.S4, V7.S4, V19.S4
#define DOTF16_STEP8 F16_LOAD8; VFMLA V20.S4, V4.S4, V16.S4; VFMLA V21.S4, V5.S4, V17.S4
#define L2F16_STEP16 F16_LOAD16; FSUB_4_20; FSUB_5_21; FSUB_6_22; FSUB_7_23; \
	VFMLA V4.S4, V4.S4, V16.S4; VFMLA V5.S4, V5.S4, V17.S4; \
	VFMLA V6.S4, V6.S4, V18.S4; VFMLA V7.S4, V7.S4, V19.S4
#define L2F16_STEP8 F16_LOAD8; FSUB_4_20; FSUB_5_21; \
	VFMLA V4.S4, V4.S4, V16.S4; VFMLA V5.S4, V5.S4, V17.S4

#define U8_LOAD32 VLD1.P 32(R0), [V0.B16, V1.B16]; VLD1.P 32(R1), [V2.B16, V3.B16]
#define U8_LOAD16 VLD1.P 16(R0), [V0.B16]; VLD1.P 16(R1), [V2.B16]
#define DOTU8_STEP32 U8_LOAD32; MUL_0_2; MUL_1_3; ACC_16_4; ACC_17_5; ACC_18_6; ACC_19_7
#define DOTU8_STEP16 U8_LOAD16; MUL_0_2; ACC_16_4; ACC_17_5
#define L2U8_STEP32 U8_LOAD32; ABD_0_2; ABD_1_3; SQR_0; SQR_1; ACC_16_4; ACC_17_5; ACC_18_6; ACC_19_7
#define L2U8_STEP16 U8_LOAD16; ABD_0_2; SQR_0; ACC_16_4; ACC_17_5

// LOOPS runs STEPBIG while at least big elements are left, then STEPSMALL
// while at least small are left.
#define LOOPS(STEPBIG, big, STEPSMALL, small) \
lbig: \
	CMP  $big, R2; \
	BLT  lsmall; \
	STEPBIG; \
	SUB  $big, R2; \
	B    lbig; \
lsmall: \
	CMP  $small, R2; \
	BLT  ldone; \
	STEPSMALL; \
	SUB  $small, R2; \
	B    lsmall; \
ldone:

// func dotF16NEON(a, b []uint16) float32
TEXT ·dotF16NEON(SB), NOSPLIT, $0-52
	ARGS
	ZERO4
	LOOPS(DOTF16_STEP16, 16, DOTF16_STEP8, 8)
	FREDUCE
	FMOVS F16, ret+48(FP)
	RET

// func l2F16NEON(a, b []uint16) float32
TEXT ·l2F16NEON(SB), NOSPLIT, $0-52
	ARGS
	ZERO4
	LOOPS(L2F16_STEP16, 16, L2F16_STEP8, 8)
	FREDUCE
	FMOVS F16, ret+48(FP)
	RET

// func dotU8NEON(a, b []uint8) uint32
TEXT ·dotU8NEON(SB), NOSPLIT, $0-52
	ARGS
	ZERO4
	LOOPS(DOTU8_STEP32, 32, DOTU8_STEP16, 16)
	IREDUCE
	FMOVS F16, ret+48(FP)
	RET

// func l2U8NEON(a, b []uint8) uint32
TEXT ·l2U8NEON(SB), NOSPLIT, $0-52
	ARGS
	ZERO4
	LOOPS(L2U8_STEP32, 32, L2U8_STEP16, 16)
	IREDUCE
	FMOVS F16, ret+48(FP)
	RET
