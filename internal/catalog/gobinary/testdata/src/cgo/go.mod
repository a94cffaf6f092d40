module example.com/vigil/cgo

go 1.22
