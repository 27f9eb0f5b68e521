package rsk

import "fmt"

// KernelError is a kernel's refusal: Status is the RSK_E_* code it returned. errors.Is matches it against the
// sentinels below by status, whatever its Detail.
type KernelError struct {
	// Status is the RSK_E_* code.
	Status int
	// Detail says which input, when the binding knows.
	Detail string
}

// The RSK_E_* statuses of rsk.h.
var (
	ErrVocab     = &KernelError{Status: -1} // the vocabulary is empty or larger than 2^24 tokens
	ErrNonFinite = &KernelError{Status: -2} // a logit is NaN or +inf (-inf is allowed and means banned)
	ErrParam     = &KernelError{Status: -3} // a parameter is out of range or NaN, or a token id is outside the vocabulary
	ErrEmpty     = &KernelError{Status: -4} // every token is banned, masked or -inf
	ErrBuffer    = &KernelError{Status: -5} // a buffer is too short, or a mask is for another vocabulary
	ErrISA       = &KernelError{Status: -6} // the forced instruction set is not available on this CPU
)

var meanings = map[int]string{
	-1: "vocabulary size is 0 or larger than 2^24",
	-2: "a logit is NaN or +inf",
	-3: "a parameter is out of range (or a token id is outside the vocabulary)",
	-4: "every token is banned, masked or -inf",
	-5: "a buffer is too short or misaligned",
	-6: "the requested instruction set is not available",
}

// Error names the status, its meaning and the detail.
func (e *KernelError) Error() string {
	meaning, ok := meanings[e.Status]
	if !ok {
		meaning = "unknown status"
	}
	if e.Detail != "" {
		return fmt.Sprintf("rsk: %s (status %d): %s", meaning, e.Status, e.Detail)
	}
	return fmt.Sprintf("rsk: %s (status %d)", meaning, e.Status)
}

// Is reports whether target is a KernelError with the same status.
func (e *KernelError) Is(target error) bool {
	t, ok := target.(*KernelError)
	return ok && t.Status == e.Status
}

// statusError is nil for a non-negative status, else its KernelError.
func statusError(status int, detail string) error {
	if status >= 0 {
		return nil
	}
	return &KernelError{Status: status, Detail: detail}
}

// refused is a KernelError the binding raises itself, before calling a kernel.
func refused(sentinel *KernelError, format string, args ...any) error {
	return &KernelError{Status: sentinel.Status, Detail: fmt.Sprintf(format, args...)}
}
