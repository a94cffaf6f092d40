module example.com/vigil/local

go 1.22
