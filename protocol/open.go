package protocol

// OpenNames holds the names of the open files of a version 2 stream and
// says which entries may not be offered while they are open (PROTOCOL.md
// section 17.4): one whose name is an open file's, lies under one, or has
// one under it. Sender and receiver both keep it, so that every entry is
// decided as if the entries were placed in stream order. Its zero value
// is empty and ready to use.
type OpenNames struct {
	files map[string]int // open files
	above map[string]int // directories with an open file under them: how many
}

// Len says how many files are open.
func (o *OpenNames) Len() int { return len(o.files) }

// Add records name as open.
func (o *OpenNames) Add(name string) {
	if o.files == nil {
		o.files, o.above = make(map[string]int), make(map[string]int)
	}
	o.files[name]++
	parents(name, func(dir string) bool { o.above[dir]++; return false })
}

// Remove records that name is no longer open.
func (o *OpenNames) Remove(name string) {
	if o.files[name]--; o.files[name] <= 0 {
		delete(o.files, name)
	}
	parents(name, func(dir string) bool {
		if o.above[dir]--; o.above[dir] <= 0 {
			delete(o.above, dir)
		}
		return false
	})
}

// Blocked reports whether an entry named name may not be offered now.
func (o *OpenNames) Blocked(name string) bool {
	if len(o.files) == 0 {
		return false
	}
	if o.files[name] > 0 || o.above[name] > 0 {
		return true
	}
	return parents(name, func(dir string) bool { return o.files[dir] > 0 })
}

// parents calls f with each directory name above name, nearest first,
// until f returns true, and says whether it did.
func parents(name string, f func(string) bool) bool {
	for i := len(name) - 1; i > 0; i-- {
		if name[i] == '/' && f(name[:i]) {
			return true
		}
	}
	return false
}
