module example.com/vigil/replace

go 1.22

require (
	example.com/vigil/local v0.1.0
	golang.org/x/text v0.3.0
	gopkg.in/yaml.v2 v2.2.8
)

replace (
	example.com/vigil/local => ./local
	golang.org/x/text => github.com/golang/text v0.3.5
	gopkg.in/yaml.v2 => gopkg.in/yaml.v2 v2.2.2
)
