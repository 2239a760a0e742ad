package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/idphoto/idphoto/internal/audit"
	"github.com/idphoto/idphoto/internal/engine"
	"github.com/idphoto/idphoto/internal/httpapi"
	"github.com/idphoto/idphoto/internal/pipeline"
	"github.com/idphoto/idphoto/internal/server"
	"github.com/idphoto/idphoto/internal/spec"
	"github.com/idphoto/idphoto/internal/vault"
	"github.com/idphoto/idphoto/internal/web"
)

const serveHelp = `Usage: idphoto serve [flags]

Runs the idphoto service: the JSON API (see api/openapi.yaml) behind the web page
and the mini-programs. Everything is kept under --data: a SQLite database
(idphoto.db) and a folder of encrypted blobs (blobs/). When one machine is not
enough, --db puts the database on PostgreSQL instead, where several serve
instances can share it:

  IDPHOTO_DATABASE_URL='postgres://idphoto:PASSWORD@db.internal:5432/idphoto?sslmode=verify-full' \
    idphoto serve

(the environment, not --db, when the URL holds a password: other users of the
machine can read a process's flags; PGPASSWORD or ~/.pgpass work too). serve migrates the database on start (instances starting together take turns) and
refuses one migrated by a newer idphoto. Photos and personal fields
are encrypted with per-user keys wrapped by a master key, which serve refuses to
run without:

  idphoto keygen -o data/master.key
  IDPHOTO_MASTER_KEY_FILE=data/master.key idphoto serve

To rotate the master key, put a new key on the first line of the key file and keep
the old one below it; serve re-wraps every user's key at start, after which the old
line can be removed.

--blobs puts the encrypted blobs in an S3-compatible bucket instead of the folder
(MinIO, Ceph, a cloud's object storage). The keys come from the environment or a
file, never from flags; serve writes, reads and deletes a probe object at start:

  IDPHOTO_S3_ACCESS_KEY=... IDPHOTO_S3_SECRET_KEY=... \
    idphoto serve --blobs 's3://idphoto?endpoint=minio.internal:9000&region=us-east-1&path_style=1'

Memory: an upload is at most --max-upload-mb on the wire, but its pixels can take
many times that once decoded. --decode-mb bounds the decoded pixels held at once by
uploads and workers together; decodes wait for their share. Setting GOMEMLIMIT a
little above decode-mb + 4 × max-upload-mb + 256 MB lets the garbage collector
keep the process near that bound.

The audit log is hash-chained, but entries cut off its end leave a valid chain. So
serve appends the chain's head ("SEQ HASH TIME") to an anchor file outside the
database every --anchor-every (default data/audit-anchor.txt, append-only, one line
per change). Ship that file elsewhere as it grows (another machine, a log service,
write-once storage), where whoever can write the database can't reach it; then
'idphoto audit verify --anchor FILE' fails when the log no longer reaches an anchor.

Flags (each also read from the environment variable shown; a flag wins):
`

const noMasterKey = "no master key: make one with 'idphoto keygen -o data/master.key' and set IDPHOTO_MASTER_KEY_FILE=data/master.key (or IDPHOTO_MASTER_KEY to the key itself)"

// envString and the others read a default from the environment.
func envString(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func envBool(name string) bool {
	v, _ := strconv.ParseBool(os.Getenv(name))
	return v
}

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	api := httpapi.DefaultConfig()
	srv := server.DefaultConfig()
	srv.Addr = envString("IDPHOTO_ADDR", srv.Addr)
	fs.StringVar(&srv.Addr, "addr", srv.Addr, "address to listen on ($IDPHOTO_ADDR)")
	data := fs.String("data", envString("IDPHOTO_DATA", "data"), "folder of the database and the encrypted blobs ($IDPHOTO_DATA)")
	db := databaseFlag(fs)
	blobsAt := blobsFlag(fs)
	keyFile := fs.String("master-key-file", os.Getenv("IDPHOTO_MASTER_KEY_FILE"), "file of master keys, current first ($IDPHOTO_MASTER_KEY_FILE); or set $IDPHOTO_MASTER_KEY to the key")
	fs.IntVar(&api.Workers, "workers", envInt("IDPHOTO_WORKERS", api.Workers), "photos made at once ($IDPHOTO_WORKERS)")
	fs.IntVar(&api.Queue, "queue", envInt("IDPHOTO_QUEUE", api.Queue), "jobs that may wait before new ones get 429 ($IDPHOTO_QUEUE)")
	maxMB := fs.Int("max-upload-mb", envInt("IDPHOTO_MAX_UPLOAD_MB", int(api.Limits.MaxBytes>>20)), "largest upload in MB ($IDPHOTO_MAX_UPLOAD_MB)")
	fs.BoolVar(&api.UnlockAll, "unlock-all", envBool("IDPHOTO_UNLOCK_ALL"), "serve clean files without payment, until payments exist ($IDPHOTO_UNLOCK_ALL=1)")
	logFormat := fs.String("log", envString("IDPHOTO_LOG", "json"), "log format: json or text ($IDPHOTO_LOG)")
	decodeMB := fs.Int("decode-mb", envInt("IDPHOTO_DECODE_MB", 0), "memory for decoded pixels across uploads and workers, in MB; a photo needing more is refused as too many pixels, others wait their turn (0: 256 + 128 a worker) ($IDPHOTO_DECODE_MB)")
	vcfg := vault.DefaultConfig()
	fs.IntVar(&vcfg.CacheKeys, "key-cache", envInt("IDPHOTO_KEY_CACHE", vcfg.CacheKeys), "users' unwrapped data keys kept in memory, least recently used dropped first ($IDPHOTO_KEY_CACHE)")
	eo := engineFlags(fs)
	ro := retentionFlags(fs)
	po := paymentFlags(fs)
	lo := loginFlags(fs)
	rc := httpapi.DefaultReconcileConfig()
	fs.DurationVar(&rc.Every, "reconcile-every", envDuration("IDPHOTO_RECONCILE_EVERY", rc.Every), "how often unpaid orders are reconciled: channels asked, expired ones closed ($IDPHOTO_RECONCILE_EVERY)")
	fs.DurationVar(&rc.After, "reconcile-after", envDuration("IDPHOTO_RECONCILE_AFTER", rc.After), "ask the channels about an order left paying this long (a lost notification) ($IDPHOTO_RECONCILE_AFTER)")
	anchorFile := fs.String("audit-anchor", os.Getenv("IDPHOTO_AUDIT_ANCHOR"), "append-only file of the audit log's head, to ship elsewhere (default DATA/audit-anchor.txt) ($IDPHOTO_AUDIT_ANCHOR)")
	anchorEvery := fs.Duration("anchor-every", envDuration("IDPHOTO_ANCHOR_EVERY", time.Hour), "how often the audit log's head is appended to the anchor file ($IDPHOTO_ANCHOR_EVERY)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), serveHelp)
		fs.PrintDefaults()
	}
	if pos, err := parseArgs(fs, args, stdout); err != nil {
		if errors.Is(err, errHelp) {
			return nil
		}
		return err
	} else if len(pos) > 0 {
		return usageError{"serve takes no arguments"}
	}
	api.Limits.MaxBytes = int64(*maxMB) << 20
	if *db != "" {
		// Other instances may share the database: idle workers take their jobs too.
		api.PollEvery = 2 * time.Second
	}

	keyText := os.Getenv("IDPHOTO_MASTER_KEY")
	if *keyFile != "" {
		b, err := os.ReadFile(*keyFile)
		if err != nil {
			return fmt.Errorf("master key file: %w", err)
		}
		keyText = string(b)
	}
	if keyText == "" {
		return errors.New(noMasterKey)
	}
	masters, err := vault.ParseKeyring(keyText)
	if err != nil {
		return err
	}

	var h slog.Handler = slog.NewJSONHandler(stderr, nil)
	if *logFormat == "text" {
		h = slog.NewTextHandler(stderr, nil)
	}
	log := slog.New(server.NewRedacting(h))

	if err := os.MkdirAll(*data, 0o700); err != nil {
		return err
	}
	st, err := openDataStore(ctx, *data, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	v, err := vault.NewWithConfig(vcfg, masters, st)
	if err != nil {
		return err
	}
	// The ledger's key is held by no user, so deleting users never shreds it (O3).
	ledgerVault, err := vault.New(masters, st.LedgerKeys())
	if err != nil {
		return err
	}
	pays, err := po.providers()
	if err != nil {
		return err
	}
	logins, err := lo.providers(po)
	if err != nil {
		return err
	}
	if err := rc.Validate(); err != nil {
		return err
	}
	go func() {
		if _, err := ledgerVault.Rotate(ctx); err != nil {
			log.Error("ledger key rotation stopped", slog.String("error", err.Error()))
		}
	}()
	go func() { // rotation runs beside the service: old keys stay readable meanwhile
		if n, err := v.Rotate(ctx); err != nil {
			log.Error("master key rotation stopped", slog.String("error", err.Error()))
		} else if n > 0 {
			log.Info("master key rotation done: the older keys can be removed", slog.Int("rewrapped", n), slog.String("current", v.CurrentMasterID()))
		}
	}()
	blobs, blobsDesc, err := openBlobStore(ctx, *data, *blobsAt, true)
	if err != nil {
		return err
	}
	specs, err := spec.Load()
	if err != nil {
		return err
	}
	decodes, err := decodeBudget(*decodeMB, api.Workers)
	if err != nil {
		return err
	}
	pcfg := pipeline.DefaultConfig()
	pcfg.Budget = decodes // one budget for the workers and the uploads
	eng, err := engine.Open(*eo, pcfg)
	if err != nil {
		return err
	}
	defer eng.Close()
	// The support desk's key is held by no user either: tickets join no account (S4).
	supportVault, err := vault.New(masters, st.SupportKeys())
	if err != nil {
		return err
	}
	a, err := httpapi.New(api, httpapi.Deps{Store: st, Vault: v, Blobs: blobs, Engine: eng, Specs: specs, Log: log, Support: supportVault,
		Payments: pays, Ledger: ledgerVault, Logins: logins, Decodes: decodes})
	if err != nil {
		return err
	}
	if *anchorEvery <= 0 {
		return usageError{"--anchor-every must be positive"}
	}
	if *anchorFile == "" {
		*anchorFile = filepath.Join(*data, "audit-anchor.txt")
	}
	// The audit log's head, written outside the database (S3).
	go audit.New(st).RunAnchors(ctx, *anchorFile, *anchorEvery, log)
	if err := startSweeps(ctx, *ro, st, blobs, log); err != nil { // retention (R1, R7)
		return err
	}
	if err := a.Start(ctx); err != nil {
		return err
	}
	go a.RunReconciler(ctx, rc) // lost notifications, expired orders (O1, O2)
	// The web page at /, the API under /api/v1.
	s, err := server.New(srv, web.Handler(a.Handler()), log, a.Drain)
	if err != nil {
		return err
	}
	log.Info("idphoto serve", slog.String("database", st.Dialect()), slog.String("blobs", blobsDesc), slog.Int64("decode_mb", decodes.Size()>>20), slog.String("engine", eng.Kind), slog.Int("workers", api.Workers), slog.Bool("unlock_all", api.UnlockAll),
		slog.Any("payment_channels", channelNames(pays)), slog.Any("login_channels", loginNames(logins)), slog.Bool("sandbox_payments_no_money_moves", po.sandbox),
		slog.Duration("shutdown_timeout", srv.ShutdownTimeout), slog.String("version", version), slog.Time("started", time.Now()))
	return s.Run(ctx, nil)
}

func cmdKeygen(_ context.Context, args []string, stdout, _ io.Writer) error {
	fs := flag.NewFlagSet("keygen", flag.ContinueOnError)
	out := fs.String("o", "", "write the key to this new file (mode 0600); without -o it is printed")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: idphoto keygen [-o FILE]\n\nMakes a new random 32-byte master key for 'idphoto serve', written in hex.\nKeep it apart from the data folder's backups: whoever holds both reads everything.\n\n")
		fs.PrintDefaults()
	}
	if pos, err := parseArgs(fs, args, stdout); err != nil {
		if errors.Is(err, errHelp) {
			return nil
		}
		return err
	} else if len(pos) > 0 {
		return usageError{"keygen takes no arguments"}
	}
	key := vault.NewMasterKeyText() + "\n"
	if *out == "" {
		_, err := io.WriteString(stdout, key)
		return err
	}
	if dir := filepath.Dir(*out); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("%w (a key file is never overwritten)", err)
	}
	if _, err := io.WriteString(f, key); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote a new master key to %s\n", *out)
	return nil
}
