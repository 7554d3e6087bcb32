package localharness

// Failure is a failed step with what the user should do about it. Detail
// (log tails) is printed first; the last line is always one sentence. An
// empty Step reports Err on its own (an interrupt is no step's failure).
type Failure struct {
	Step   string
	Err    error
	Fix    string
	Detail string
}

func (f *Failure) Error() string { return f.Step + ": " + f.Err.Error() }

func (f *Failure) Unwrap() error { return f.Err }

// Fail builds a Failure.
func Fail(step string, err error, fix string) *Failure {
	return &Failure{Step: step, Err: err, Fix: fix}
}
