package postgis

import (
	"context"
	"sync"
)

// groupQueue is the queue of a group commit (patrol uploads,
// patrol_group.go; case reports, case_group.go): requests queue their
// jobs, at most a limit of writers run at once, and each writer takes
// every job waiting when it starts (a batch), writes the batch in one
// transaction and closes its jobs' done.
type groupQueue[J groupJob] struct {
	mu      sync.Mutex
	queue   []J
	running int
}

// groupJob is a job of a groupQueue: its request's context and the
// queue's bookkeeping (groupState, embedded by the job types).
type groupJob interface{ state() *groupState }

// groupState is a job's part of a groupQueue.
type groupState struct {
	ctx   context.Context
	taken bool // by a writer (under groupQueue.mu)
	done  chan struct{}
}

func newGroupState(ctx context.Context) groupState {
	return groupState{ctx: ctx, done: make(chan struct{})}
}

func (st *groupState) state() *groupState { return st }

// submit queues j, starts a writer (write) if fewer than limit run, and
// waits until j is written. A request that ends while its job still waits
// in the queue withdraws it (its context's error); once taken, the job is
// written whatever becomes of the request.
func (g *groupQueue[J]) submit(j J, limit int, write func()) error {
	st := j.state()
	g.mu.Lock()
	g.queue = append(g.queue, j)
	if g.running < limit {
		g.running++
		go write()
	}
	g.mu.Unlock()
	select {
	case <-st.done:
		return nil
	case <-st.ctx.Done():
	}
	g.mu.Lock()
	if !st.taken {
		for i, q := range g.queue {
			if q.state() == st {
				g.queue = append(g.queue[:i], g.queue[i+1:]...)
				break
			}
		}
		g.mu.Unlock()
		return st.ctx.Err()
	}
	g.mu.Unlock()
	<-st.done
	return nil
}

// next takes the writer's next batch: the first size(queue) jobs waiting
// (size returns at least 1). It returns nil, and the writer stops, when
// none waits.
func (g *groupQueue[J]) next(size func(queue []J) int) []J {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.queue) == 0 {
		g.running--
		return nil
	}
	n := size(g.queue)
	batch := make([]J, n)
	copy(batch, g.queue[:n])
	for _, j := range batch {
		j.state().taken = true
	}
	g.queue = append(g.queue[:0], g.queue[n:]...)
	return batch
}

// run is a writer: it writes batches of size(queue) jobs until none
// waits, each in one shared transaction (group); a batch of one, or one
// whose shared transaction fails, is written job by job (alone), so that
// only the job at fault gets an error. Then it closes the batch's done.
func (g *groupQueue[J]) run(size func(queue []J) int, group func(batch []J) error, alone func(j J)) {
	for {
		batch := g.next(size)
		if batch == nil {
			return
		}
		if len(batch) == 1 || group(batch) != nil {
			for _, j := range batch {
				alone(j)
			}
		}
		for _, j := range batch {
			close(j.state().done)
		}
	}
}

// waiting is how many jobs wait in the queue (tests).
func (g *groupQueue[J]) waiting() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.queue)
}
