module github.com/ft-team/ft/bench

go 1.26.8

require (
	github.com/zeebo/blake3 v0.2.4
	golang.org/x/image v0.47.0
	golang.org/x/sys v0.49.0
)

require github.com/klauspost/cpuid/v2 v2.0.12 // indirect
