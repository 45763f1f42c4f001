//go:build !linux || ftportable

package inbox

import "os"

// openFast returns no fast path: the portable calls are all there is.
func openFast(*os.Root) (fastDir, error) { return nil, nil }
