package database

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// A replica that stops answering is out after at most one check interval plus one
// check's timeout (a failed read takes it out at once): under the second the
// brief allows.
func TestAReplicaLeavesRotationWithinASecond(t *testing.T) {
	t.Parallel()
	if checkEvery+checkTimeout >= time.Second {
		t.Fatalf("checkEvery %s + checkTimeout %s: a dead replica could stay in rotation a second or more", checkEvery, checkTimeout)
	}
}

// Lag is the age of the oldest primary position the replica has not replayed: none
// while it keeps up, growing while it stands still, none again once it has caught up.
func TestLagIsTheAgeOfTheOldestWALNotReplayed(t *testing.T) {
	t.Parallel()
	r := &replica{}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	r.saw(at(0), 100)
	if lag := r.lagAt(at(0.1), 100); lag != 0 {
		t.Fatalf("caught up: lag %s, want 0", lag)
	}
	r.saw(at(1), 200)
	r.saw(at(1.5), 200) // the primary did not move: nothing new
	r.saw(at(2), 300)
	if lag := r.lagAt(at(3), 100); lag != 2*time.Second {
		t.Fatalf("stuck at 100 since the primary reached 200 at 1s: lag %s, want 2s", lag)
	}
	if lag := r.lagAt(at(3.5), 250); lag != 1500*time.Millisecond {
		t.Fatalf("replayed 250, missing 300 written by 2s: lag %s, want 1.5s", lag)
	}
	if lag := r.lagAt(at(4), 300); lag != 0 {
		t.Fatalf("caught up again: lag %s, want 0", lag)
	}
	for i := range maxHeads + 10 {
		r.saw(at(5+float64(i)), LSN(400+i))
	}
	if len(r.heads) != maxHeads {
		t.Fatalf("%d positions kept, want at most %d", len(r.heads), maxHeads)
	}
}

// What routing adds to a marked read: finding the request's route, choosing a
// replica in rotation at its first read and reusing it at the next (no I/O).
func BenchmarkRouteMarkedRead(b *testing.B) {
	p := &Pool{primaryReads: map[string]*atomic.Int64{reasonNoReplica: {}, reasonReadAfter: {}, reasonReplicaFailed: {}}}
	for i := range 2 {
		p.replicas = append(p.replicas, &replica{state: ReplicaState{Up: true, InRotation: true, Replayed: LSN(1000 + i)}})
	}
	sql := "-- name: ProductGet :one\nSELECT 1\n       " + ReplicaOK + "\n"
	b.ReportAllocs()
	for b.Loop() {
		ctx := ReadFromReplicas(context.Background(), 900)
		if p.replicaFor(ctx, sql) == nil || p.replicaFor(ctx, sql) == nil {
			b.Fatal("no replica chosen")
		}
	}
}
