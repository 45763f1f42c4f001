package main

import "os"

// setTestUmask returns 0: there is no umask here.
func setTestUmask() os.FileMode { return 0 }
