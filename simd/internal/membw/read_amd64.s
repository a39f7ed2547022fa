//go:build !purego

#include "textflag.h"

// SETUP loads p into SI and the number of Block-sized blocks into CX and
// clears the accumulators Y0-Y3.
#define SETUP \
	MOVQ p_base+0(FP), SI; \
	MOVQ p_len+8(FP), CX; \
	SHRQ $8, CX; \
	VPXOR Y0, Y0, Y0; VPXOR Y1, Y1, Y1; VPXOR Y2, Y2, Y2; VPXOR Y3, Y3, Y3

// FOLD folds Y0-Y3 into AX.
#define FOLD \
	VPXOR Y1, Y0, Y0; VPXOR Y3, Y2, Y2; VPXOR Y2, Y0, Y0; \
	VEXTRACTI128 $1, Y0, X1; VPXOR X1, X0, X0; \
	VMOVQ X0, AX; VPEXTRQ $1, X0, DX; XORQ DX, AX; \
	VZEROUPPER

// LINE reads the 64-byte line at off(SI) into accumulators a and b.
#define LINE(off, a, b) VPXOR off(SI), a, a; VPXOR off+32(SI), b, b

// func Read(p []byte) uint64
TEXT ·Read(SB), NOSPLIT, $0-32
	SETUP
	TESTQ CX, CX
	JEQ   done
loop:
	LINE(0, Y0, Y1); LINE(64, Y2, Y3); LINE(128, Y0, Y1); LINE(192, Y2, Y3)
	ADDQ $256, SI
	DECQ CX
	JNZ  loop
done:
	FOLD
	MOVQ AX, ret+24(FP)
	RET

// NTLINE reads the line at off(SI) with VMOVNTDQA.
#define NTLINE(off, a, b) \
	VMOVNTDQA off(SI), Y4; VMOVNTDQA off+32(SI), Y5; VPXOR Y4, a, a; VPXOR Y5, b, b

// func ReadNT(p []byte) uint64
TEXT ·ReadNT(SB), NOSPLIT, $0-32
	SETUP
	TESTQ CX, CX
	JEQ   done
loop:
	NTLINE(0, Y0, Y1); NTLINE(64, Y2, Y3); NTLINE(128, Y0, Y1); NTLINE(192, Y2, Y3)
	ADDQ $256, SI
	DECQ CX
	JNZ  loop
done:
	FOLD
	MOVQ AX, ret+24(FP)
	RET

// func ReadPrefetchT0(p []byte, dist int) uint64
TEXT ·ReadPrefetchT0(SB), NOSPLIT, $0-40
	SETUP
	MOVQ  dist+24(FP), DX
	TESTQ CX, CX
	JEQ   done
loop:
	PREFETCHT0 0(SI)(DX*1); PREFETCHT0 64(SI)(DX*1)
	PREFETCHT0 128(SI)(DX*1); PREFETCHT0 192(SI)(DX*1)
	LINE(0, Y0, Y1); LINE(64, Y2, Y3); LINE(128, Y0, Y1); LINE(192, Y2, Y3)
	ADDQ $256, SI
	DECQ CX
	JNZ  loop
done:
	FOLD
	MOVQ AX, ret+32(FP)
	RET

// func ReadPrefetchNTA(p []byte, dist int) uint64
TEXT ·ReadPrefetchNTA(SB), NOSPLIT, $0-40
	SETUP
	MOVQ  dist+24(FP), DX
	TESTQ CX, CX
	JEQ   done
loop:
	PREFETCHNTA 0(SI)(DX*1); PREFETCHNTA 64(SI)(DX*1)
	PREFETCHNTA 128(SI)(DX*1); PREFETCHNTA 192(SI)(DX*1)
	LINE(0, Y0, Y1); LINE(64, Y2, Y3); LINE(128, Y0, Y1); LINE(192, Y2, Y3)
	ADDQ $256, SI
	DECQ CX
	JNZ  loop
done:
	FOLD
	MOVQ AX, ret+32(FP)
	RET

// func Read4(p []byte) uint64
// Quarter q = CX*64 bytes; streams at SI, SI+q, SI+2q, SI+3q (DI = q).
TEXT ·Read4(SB), NOSPLIT, $0-32
	SETUP
	TESTQ CX, CX
	JEQ   done
	MOVQ  CX, DI
	SHLQ  $6, DI
	LEAQ  (DI)(DI*2), R8
loop:
	VPXOR (SI), Y0, Y0; VPXOR 32(SI), Y1, Y1
	VPXOR (SI)(DI*1), Y2, Y2; VPXOR 32(SI)(DI*1), Y3, Y3
	VPXOR (SI)(DI*2), Y0, Y0; VPXOR 32(SI)(DI*2), Y1, Y1
	VPXOR (SI)(R8*1), Y2, Y2; VPXOR 32(SI)(R8*1), Y3, Y3
	ADDQ $64, SI
	DECQ CX
	JNZ  loop
done:
	FOLD
	MOVQ AX, ret+24(FP)
	RET
