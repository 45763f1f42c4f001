//go:build !ftportable

package main

// buildTags are the build tags the ft binary under test is built with:
// none, the platform's fast path.
const buildTags = ""
