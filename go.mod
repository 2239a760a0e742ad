module github.com/idphoto/idphoto

go 1.26.8

require (
	github.com/ebitengine/purego v0.8.3 // indirect
	github.com/esimov/pigo v1.4.6 // indirect
	github.com/gen2brain/heic v0.4.5 // indirect
	github.com/tetratelabs/wazero v1.9.0 // indirect
	github.com/yalue/onnxruntime_go v1.22.0 // indirect
	golang.org/x/image v0.33.0 // indirect
)
