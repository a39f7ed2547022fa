//go:build !purego

// AVX-512BW+VNNI int8 kernels. SI = a, DI = b, CX = bytes left (a multiple
// of 32). Each 32 bytes are sign-extended to 32 words (VPMOVSXBW) and
// multiplied in pairs into sixteen dwords, which VNNI's VPDPWSSD also adds
// into the accumulators Z0/Z1: 64 bytes a step, then 32. For L2 the words
// are subtracted first (|a-b| <= 255 fits a word). A lane adds at most
// 2·len/32 products of <= 65025, which fits int32 for len <= int8Chunk.

#include "textflag.h"

#define I8_LOAD64Z \
	VPMOVSXBW (SI), Z4; VPMOVSXBW 32(SI), Z5; VPMOVSXBW (DI), Z8; VPMOVSXBW 32(DI), Z9

// I8_LOOPS runs STEP64 while 64 bytes are left, then STEP32 once if 32 are.
#define I8_LOOPS(STEP64, STEP32) \
	VPXORD Z0, Z0, Z0; \
	VPXORD Z1, Z1, Z1; \
l64: \
	CMPQ CX, $64; \
	JLT  l32; \
	STEP64; \
	ADDQ $64, SI; ADDQ $64, DI; \
	SUBQ $64, CX; \
	JMP  l64; \
l32: \
	CMPQ CX, $32; \
	JLT  ldone; \
	STEP32; \
ldone: \
	VPADDD Z1, Z0, Z0; \
	VEXTRACTI64X4 $1, Z0, Y1; \
	VPADDD Y1, Y0, Y0; \
	VEXTRACTI128 $1, Y0, X1; VPADDD X1, X0, X0; \
	VPSHUFD $0x4e, X0, X1; VPADDD X1, X0, X0; \
	VPSHUFD $0xb1, X0, X1; VPADDD X1, X0, X0; \
	VMOVD X0, AX

#define DOTI8_STEP64Z I8_LOAD64Z; VPDPWSSD Z8, Z4, Z0; VPDPWSSD Z9, Z5, Z1
#define DOTI8_STEP32Z VPMOVSXBW (SI), Z4; VPMOVSXBW (DI), Z8; VPDPWSSD Z8, Z4, Z0
#define L2I8_STEP64Z I8_LOAD64Z; VPSUBW Z8, Z4, Z4; VPSUBW Z9, Z5, Z5; \
	VPDPWSSD Z4, Z4, Z0; VPDPWSSD Z5, Z5, Z1
#define L2I8_STEP32Z VPMOVSXBW (SI), Z4; VPMOVSXBW (DI), Z8; VPSUBW Z8, Z4, Z4; VPDPWSSD Z4, Z4, Z0

// func dotI8AVX512(a, b []int8) int32
TEXT ·dotI8AVX512(SB), NOSPLIT, $0-52
	MOVQ a_base+0(FP), SI
	MOVQ a_len+8(FP), CX
	MOVQ b_base+24(FP), DI
	I8_LOOPS(DOTI8_STEP64Z, DOTI8_STEP32Z)
	VZEROUPPER
	MOVL AX, ret+48(FP)
	RET

// func l2I8AVX512(a, b []int8) int32
TEXT ·l2I8AVX512(SB), NOSPLIT, $0-52
	MOVQ a_base+0(FP), SI
	MOVQ a_len+8(FP), CX
	MOVQ b_base+24(FP), DI
	I8_LOOPS(L2I8_STEP64Z, L2I8_STEP32Z)
	VZEROUPPER
	MOVL AX, ret+48(FP)
	RET
