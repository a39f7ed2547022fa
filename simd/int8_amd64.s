//go:build !purego

// AVX2 int8 kernels. SI = a, DI = b, CX = 32-byte blocks left. Each block
// is sign-extended to two vectors of sixteen words (VPMOVSXBW), multiplied
// pairwise into dwords (VPMADDWD) and summed into two accumulators Y0/Y1.
// For L2 the words are subtracted first (|a-b| <= 255 fits a word).

#include "textflag.h"

// HSUM adds the eight dwords of Y0 and Y1 into the low dword of X0.
#define HSUM \
	VPADDD Y1, Y0, Y0; \
	VEXTRACTI128 $1, Y0, X1; \
	VPADDD X1, X0, X0; \
	VPSHUFD $0x4e, X0, X1; \
	VPADDD X1, X0, X0; \
	VPSHUFD $0xb1, X0, X1; \
	VPADDD X1, X0, X0

// func dotI8AVX2(a, b []int8) int32
TEXT ·dotI8AVX2(SB), NOSPLIT, $0-52
	MOVQ a_base+0(FP), SI
	MOVQ a_len+8(FP), CX
	MOVQ b_base+24(FP), DI
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	SHRQ $5, CX
	JZ   dotdone

dotloop:
	VPMOVSXBW (SI), Y2
	VPMOVSXBW 16(SI), Y3
	VPMOVSXBW (DI), Y4
	VPMOVSXBW 16(DI), Y5
	VPMADDWD  Y4, Y2, Y2
	VPMADDWD  Y5, Y3, Y3
	VPADDD    Y2, Y0, Y0
	VPADDD    Y3, Y1, Y1
	ADDQ      $32, SI
	ADDQ      $32, DI
	DECQ      CX
	JNZ       dotloop

dotdone:
	HSUM
	VMOVD X0, AX
	MOVL  AX, ret+48(FP)
	VZEROUPPER
	RET

// func l2I8AVX2(a, b []int8) int32
TEXT ·l2I8AVX2(SB), NOSPLIT, $0-52
	MOVQ a_base+0(FP), SI
	MOVQ a_len+8(FP), CX
	MOVQ b_base+24(FP), DI
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	SHRQ $5, CX
	JZ   l2done

l2loop:
	VPMOVSXBW (SI), Y2
	VPMOVSXBW 16(SI), Y3
	VPMOVSXBW (DI), Y4
	VPMOVSXBW 16(DI), Y5
	VPSUBW    Y4, Y2, Y2
	VPSUBW    Y5, Y3, Y3
	VPMADDWD  Y2, Y2, Y2
	VPMADDWD  Y3, Y3, Y3
	VPADDD    Y2, Y0, Y0
	VPADDD    Y3, Y1, Y1
	ADDQ      $32, SI
	ADDQ      $32, DI
	DECQ      CX
	JNZ       l2loop

l2done:
	HSUM
	VMOVD X0, AX
	MOVL  AX, ret+48(FP)
	VZEROUPPER
	RET
