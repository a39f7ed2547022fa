// Command hnsw-table prints Cairn's HNSW benchmark table for a TEXMEX data
// set (base.fvecs, query.fvecs, groundtruth.ivecs), shaped like the output
// of ../shared/bench/hnswlib_ref so the two can run back to back:
//
//	go run ./bench/cmd/hnsw-table [-metric l2|ip|cosine|l1] [-M 16] [-efc 100] DIR
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/cairn-db/cairn/bench"
	"github.com/cairn-db/cairn/point"
)

func main() {
	metric := flag.String("metric", "l2", "distance: l2, ip (dot on unit vectors), cosine or l1")
	m := flag.Int("M", 16, "links per node (2·M on layer 0)")
	efc := flag.Int("efc", 100, "ef_construction")
	efList := flag.String("ef", "16,32,64,128,256", "comma-separated search ef values")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: hnsw-table [flags] DIR")
		flag.PrintDefaults()
		os.Exit(2)
	}
	dist, err := parseMetric(*metric)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var efs []int
	for _, s := range strings.Split(*efList, ",") {
		ef, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || ef <= 0 {
			fmt.Fprintf(os.Stderr, "bad ef %q\n", s)
			os.Exit(2)
		}
		efs = append(efs, ef)
	}
	if _, err := bench.RunHNSWTable(os.Stdout, flag.Arg(0), dist, *m, *efc, efs); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func parseMetric(s string) (point.Distance, error) {
	switch s {
	case "l2":
		return point.Euclid, nil
	case "ip":
		return point.Dot, nil
	case "cosine":
		return point.Cosine, nil
	case "l1":
		return point.Manhattan, nil
	}
	return 0, fmt.Errorf("unknown metric %q (want l2, ip, cosine or l1)", s)
}
