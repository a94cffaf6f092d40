package rpm

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"

	// The pure-Go SQLite driver the store uses; it registers "sqlite".
	_ "modernc.org/sqlite"
)

// sqliteMagic starts every SQLite database file.
var sqliteMagic = []byte("SQLite format 3\x00")

func isSQLite(data []byte) bool { return bytes.HasPrefix(data, sqliteMagic) }

// readSQLite calls visit with every header in an rpm SQLite database
// (rpm ≥ 4.16), whose Packages table holds one header blob per row.
//
// SQLite reads databases from files only, so data is copied to a private
// temporary directory, removed afterwards with any journal files SQLite makes
// beside it. The copy is opened read-only and immutable: nothing is written
// back and a write-ahead log, if the image had one, is not looked for.
func readSQLite(ctx context.Context, data []byte, visit func([]byte) error) error {
	dir, err := os.MkdirTemp("", "vigil-rpmdb-")
	if err != nil {
		return fmt.Errorf("sqlite: temporary copy: %w", err)
	}
	defer os.RemoveAll(dir)
	name := filepath.Join(dir, "rpmdb.sqlite")
	if err := os.WriteFile(name, data, 0o600); err != nil {
		return fmt.Errorf("sqlite: temporary copy: %w", err)
	}

	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(name)+"?mode=ro&immutable=1")
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "SELECT blob FROM Packages ORDER BY hnum")
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var blob []byte
		if err := rows.Scan(&blob); err != nil {
			return fmt.Errorf("sqlite: %w", err)
		}
		if err := visit(blob); err != nil {
			return err
		}
	}
	// Damage met part-way through the table surfaces here, not in Next.
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	return nil
}
