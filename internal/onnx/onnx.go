// Package onnx runs ONNX models through ONNX Runtime's C library, loaded at run time
// from a path. It is the only cgo in the project: a Runtime owns the process-wide
// ORT environment, and a Session keeps a small pool of ORT sessions with their input
// and output tensors allocated once, so a Run copies data in and out and nothing else.
package onnx

import (
	"errors"
	"fmt"
	"os"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// ErrClosed is returned when a closed Runtime or Session is used.
var ErrClosed = errors.New("onnx: closed")

// Config says where the ONNX Runtime library is and how many threads a session uses.
type Config struct {
	LibraryPath string // path to libonnxruntime.so.1
	Threads     int    // intra-op threads per session; 0 means 2
}

// Validate reports a config that cannot work.
func (c Config) Validate() error {
	if c.LibraryPath == "" {
		return errors.New("onnx: no runtime library path: run 'idphoto models pull'")
	}
	if c.Threads < 0 {
		return fmt.Errorf("onnx: threads %d: must be 0 or more", c.Threads)
	}
	return nil
}

// The ORT environment lives in onnxruntime_go's package state: one per process, bound
// to one library. These guard it and count the Runtimes that share it; they are the
// only package-level state here and exist because the library's state is global.
var (
	envMu   sync.Mutex
	envRefs int
	envPath string
)

// Runtime is an open ORT environment. Several Runtimes may be open at once as long as
// they name the same library; the environment is destroyed when the last one closes.
type Runtime struct {
	threads int

	mu       sync.Mutex
	closed   bool
	sessions int
}

// Open loads the library at cfg.LibraryPath (once per process) and returns a Runtime.
func Open(cfg Config) (*Runtime, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	fi, err := os.Stat(cfg.LibraryPath)
	if err != nil {
		return nil, fmt.Errorf("onnx: runtime library: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("onnx: runtime library %s: not a regular file", cfg.LibraryPath)
	}
	threads := cfg.Threads
	if threads == 0 {
		threads = 2
	}

	envMu.Lock()
	defer envMu.Unlock()
	if envRefs > 0 {
		if envPath != cfg.LibraryPath {
			return nil, fmt.Errorf("onnx: runtime already loaded from %s, cannot also load %s", envPath, cfg.LibraryPath)
		}
	} else {
		ort.SetSharedLibraryPath(cfg.LibraryPath)
		if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
			return nil, fmt.Errorf("onnx: load runtime %s: %w", cfg.LibraryPath, err)
		}
		envPath = cfg.LibraryPath
	}
	envRefs++
	return &Runtime{threads: threads}, nil
}

// Version is the loaded ONNX Runtime's version string.
func (rt *Runtime) Version() string { return ort.GetVersion() }

// Close releases this Runtime's hold on the environment. All its sessions must be
// closed first. Closing twice is harmless.
func (rt *Runtime) Close() error {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.closed {
		return nil
	}
	if rt.sessions > 0 {
		return fmt.Errorf("onnx: close runtime: %d sessions still open", rt.sessions)
	}
	rt.closed = true

	envMu.Lock()
	defer envMu.Unlock()
	envRefs--
	if envRefs > 0 {
		return nil
	}
	envPath = ""
	if err := ort.DestroyEnvironment(); err != nil {
		return fmt.Errorf("onnx: destroy environment: %w", err)
	}
	return nil
}

// addSession records a new session, refusing when the Runtime is closed.
func (rt *Runtime) addSession() error {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.closed {
		return ErrClosed
	}
	rt.sessions++
	return nil
}

func (rt *Runtime) dropSession() {
	rt.mu.Lock()
	rt.sessions--
	rt.mu.Unlock()
}
