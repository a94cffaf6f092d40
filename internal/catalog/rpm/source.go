package rpm

import (
	"strconv"
	"strings"
)

// parseSourceRPM splits a source rpm file name such as
// "openssl-3.0.7-24.el9.src.rpm" into the source package name ("openssl")
// and its version-release ("3.0.7-24.el9"). It works from the right because
// names contain dashes and versions and releases do not.
func parseSourceRPM(file string) (name, versionRelease string, ok bool) {
	base, found := strings.CutSuffix(file, ".src.rpm")
	if !found {
		base, found = strings.CutSuffix(file, ".nosrc.rpm")
	}
	if !found {
		return "", "", false
	}
	rel := strings.LastIndexByte(base, '-')
	if rel <= 0 || rel == len(base)-1 {
		return "", "", false
	}
	ver := strings.LastIndexByte(base[:rel], '-')
	if ver <= 0 || ver == rel-1 {
		return "", "", false
	}
	return base[:ver], base[ver+1:], true
}

// evr returns the version string Vigil records for an rpm: "V-R", prefixed
// with "E:" when the epoch is set and not zero. rpm orders a missing epoch
// like epoch 0, so dropping a zero epoch loses nothing for version
// comparison and gives one spelling for the same package whether or not its
// database recorded the zero. The recorded epoch itself stays in
// RPMMetadata.Epoch.
func evr(epoch *int, versionRelease string) string {
	if epoch == nil || *epoch == 0 {
		return versionRelease
	}
	return strconv.Itoa(*epoch) + ":" + versionRelease
}
