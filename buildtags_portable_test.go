//go:build ftportable

package main

// buildTags are the build tags the ft binary under test is built with:
// the portable implementation everywhere (go test -tags ftportable).
const buildTags = "ftportable"
