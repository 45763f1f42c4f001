//go:build !linux || ftportable

package send

// newDirHandle returns the portable dirHandle: there is no fast path here.
func newDirHandle() dirHandle { return &portableDir{} }
