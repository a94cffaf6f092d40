// Package all holds the explicit list of catalogers Vigil runs. It lives
// apart from package catalog because every cataloger imports catalog's
// contract; the list, importing them all, cannot sit beside it.
package all

import (
	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/catalog/apk"
	"github.com/vigilproject/vigil/internal/catalog/bitnami"
	"github.com/vigilproject/vigil/internal/catalog/cargo"
	"github.com/vigilproject/vigil/internal/catalog/composer"
	"github.com/vigilproject/vigil/internal/catalog/dotnet"
	"github.com/vigilproject/vigil/internal/catalog/dpkg"
	"github.com/vigilproject/vigil/internal/catalog/gem"
	"github.com/vigilproject/vigil/internal/catalog/gobinary"
	"github.com/vigilproject/vigil/internal/catalog/hex"
	"github.com/vigilproject/vigil/internal/catalog/java"
	"github.com/vigilproject/vigil/internal/catalog/npm"
	"github.com/vigilproject/vigil/internal/catalog/pub"
	"github.com/vigilproject/vigil/internal/catalog/python"
	"github.com/vigilproject/vigil/internal/catalog/rpm"
	"github.com/vigilproject/vigil/internal/catalog/runtime"
)

// Catalogers returns a fresh instance of every cataloger, in a fixed order
// (the order is part of the layer-cache key).
func Catalogers() []catalog.Cataloger {
	return []catalog.Cataloger{
		// Operating-system package managers.
		dpkg.New(),
		apk.New(),
		rpm.New(),
		// Binaries and archives, streamed once (Extractors).
		gobinary.New(), // Go build info, and cargo-auditable data in other ELF files
		java.New(),
		runtime.New(), // runtimes installed without a package manager
		// Language package managers.
		npm.NewInstalled(),
		npm.NewLock(),
		python.NewInstalled(),
		python.NewLock(),
		cargo.New(),
		gem.NewInstalled(),
		gem.NewLock(),
		composer.NewInstalled(),
		composer.NewLock(),
		dotnet.NewDeps(),
		dotnet.NewLock(),
		hex.NewRelease(),
		hex.NewMixLock(),
		hex.NewRebarLock(),
		pub.NewLock(),
		pub.NewCache(),
		// Components of Bitnami's images, from its SPDX documents.
		bitnami.New(),
	}
}
