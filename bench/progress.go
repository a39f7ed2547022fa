package bench

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// Progress reports the advance of a long phase: a redrawn bar when its
// writer is a terminal, otherwise a plain line at every 10% (and at the end).
// It is safe for concurrent use.
type Progress struct {
	w     io.Writer
	tty   bool
	label string
	total int

	mu       sync.Mutex
	done     int
	start    time.Time
	lastDraw time.Time
	lastTick int // last 10% step printed (plain mode)
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// NewProgress starts a phase of total units named label, written to w (nil
// writes nothing); tty selects the bar (see IsTerminal).
func NewProgress(w io.Writer, tty bool, label string, total int) *Progress {
	if w == nil {
		w = io.Discard
	}
	return &Progress{w: w, tty: tty, label: label, total: max(total, 1), start: time.Now()}
}

// Add records n more units done. A nil *Progress ignores it.
func (p *Progress) Add(n int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done = min(p.done+n, p.total)
	if p.tty {
		if now := time.Now(); now.Sub(p.lastDraw) >= 100*time.Millisecond || p.done == p.total {
			p.lastDraw = now
			p.draw()
		}
		return
	}
	if tick := p.done * 10 / p.total; tick > p.lastTick && tick < 10 {
		p.lastTick = tick
		fmt.Fprintf(p.w, "%s: %d/%d (%d%%) %.1fs\n", p.label, p.done, p.total, tick*10, time.Since(p.start).Seconds())
	}
}

func (p *Progress) draw() {
	const width = 30
	fill := p.done * width / p.total
	fmt.Fprintf(p.w, "\r%s [%s%s] %d/%d %.1fs", p.label, strings.Repeat("=", fill),
		strings.Repeat(" ", width-fill), p.done, p.total, time.Since(p.start).Seconds())
}

// Done ends the phase with a final line. A nil *Progress ignores it.
func (p *Progress) Done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		p.draw()
		fmt.Fprintln(p.w)
		return
	}
	fmt.Fprintf(p.w, "%s: done %d/%d in %.1fs\n", p.label, p.done, p.total, time.Since(p.start).Seconds())
}

// Logf writes one plain line about the run to w (nil writes nothing).
func Logf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", args...)
	}
}
