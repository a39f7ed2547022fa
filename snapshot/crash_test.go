package snapshot

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/vfs"
)

const crashChildEnv = "CAIRN_SNAPSHOT_CRASH_CHILD"

// TestCrashDuringCreate kills (SIGKILL) a process that keeps writing
// snapshots, then checks what a restart sees: after RemovePartial every
// listed snapshot is complete (its checksum matches, it extracts and
// verifies) and no partial file remains.
func TestCrashDuringCreate(t *testing.T) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir)
		return
	}
	base := t.TempDir()
	src, snaps := filepath.Join(base, "src"), filepath.Join(base, "snaps")
	big := map[string]string{}
	for i := range 8 {
		big[fmt.Sprintf("segments/%d/vectors.bin", i)] = strings.Repeat(fmt.Sprint(i), 1<<20)
	}
	writeTree(t, src, big)
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashDuringCreate$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+base)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	for range 3 { // let three snapshots complete; kill during a later one
		if !lines.Scan() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("child stopped early: %v", lines.Err())
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	if err := RemovePartial(vfs.OS, snaps); err != nil {
		t.Fatal(err)
	}
	list, err := List(snaps)
	if err != nil || len(list) < 3 {
		t.Fatalf("after crash: %d snapshots listed (%v)", len(list), err)
	}
	for _, d := range list {
		p := filepath.Join(snaps, d.Name)
		if d.Checksum == "" {
			t.Fatalf("%s listed without checksum", d.Name)
		}
		if err := VerifyChecksum(p, d.Checksum); err != nil {
			t.Fatal(err)
		}
		if got, _ := extractFile(t, p); len(got) != len(big) {
			t.Fatalf("%s holds %d files", d.Name, len(got))
		}
	}
	entries, _ := os.ReadDir(snaps)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), TempExt) {
			t.Errorf("partial file left: %s", e.Name())
		}
	}
}

// crashChild writes snapshots of base/src into base/snaps until killed,
// printing a line after each.
func crashChild(base string) {
	for {
		_, err := WriteArchive(vfs.OS, filepath.Join(base, "snaps"), FullName(testTime), filepath.Join(base, "src"), Meta{Kind: KindFull, CreatedAt: testTime})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println("ok")
	}
}
