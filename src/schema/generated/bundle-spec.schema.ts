/* Generated from schemas/bundle-spec.schema.json by scripts/gen-schema-types.ts. Do not edit: edit the schema and run npm run gen:types. */
export const bundleSpecSchema = {
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://airbundle.dev/schemas/bundle-spec.v1.json",
  "title": "BundleSpec",
  "description": "bundle.yaml: what a bundle holds and where each piece comes from.",
  "type": "object",
  "additionalProperties": false,
  "required": [
    "apiVersion",
    "kind",
    "metadata"
  ],
  "properties": {
    "apiVersion": {
      "const": "airbundle.dev/v1"
    },
    "kind": {
      "const": "Bundle"
    },
    "metadata": {
      "$ref": "#/$defs/Metadata"
    },
    "models": {
      "type": "array",
      "items": {
        "$ref": "#/$defs/ModelEntry"
      }
    },
    "images": {
      "type": "array",
      "items": {
        "$ref": "#/$defs/ImageEntry"
      }
    },
    "options": {
      "$ref": "#/$defs/Options"
    }
  },
  "$defs": {
    "Metadata": {
      "type": "object",
      "additionalProperties": false,
      "required": [
        "name",
        "version"
      ],
      "properties": {
        "name": {
          "type": "string",
          "pattern": "^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$",
          "description": "Bundle name: lower case letters, digits, '.', '_' and '-'."
        },
        "version": {
          "type": [
            "string",
            "number"
          ],
          "description": "Bundle version; also the default tag of models."
        },
        "description": {
          "type": "string"
        }
      }
    },
    "ModelEntry": {
      "type": "object",
      "additionalProperties": false,
      "required": [
        "name",
        "source"
      ],
      "properties": {
        "name": {
          "type": "string",
          "pattern": "^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$",
          "description": "Model name; the artifact is models/<name>:<tag>."
        },
        "source": {
          "type": "string",
          "minLength": 1,
          "description": "file://PATH (relative to this file), https://URL#sha256=HEX, http://URL#sha256=HEX, or oci://HOST/REPO:TAG (a model artifact in a registry)."
        },
        "tag": {
          "type": "string",
          "pattern": "^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$",
          "description": "Tag of the model artifact (default: metadata.version)."
        },
        "sha256": {
          "type": "string",
          "pattern": "^[a-f0-9]{64}$",
          "description": "Expected sha256 of a single-file source (same as #sha256= in the URL)."
        },
        "include": {
          "type": "array",
          "items": {
            "type": "string"
          },
          "description": "Glob patterns of files to take (default: all)."
        },
        "exclude": {
          "type": "array",
          "items": {
            "type": "string"
          },
          "description": "Glob patterns of files to leave out."
        },
        "format": {
          "type": "string",
          "description": "Weight format recorded in the ModelPack config: safetensors, gguf, onnx, pytorch, …"
        }
      }
    },
    "ImageEntry": {
      "type": "object",
      "additionalProperties": false,
      "required": [
        "source"
      ],
      "properties": {
        "source": {
          "type": "string",
          "minLength": 1,
          "description": "An image reference (docker.io/library/alpine:3.20, HOST:PORT/REPO@sha256:…), oci://HOST/REPO:TAG, or oci-layout:PATH:TAG (a local OCI image layout)."
        },
        "name": {
          "type": "string",
          "minLength": 1,
          "description": "Reference name in the bundle, e.g. library/nginx:1.27 (default: from the source)."
        },
        "platforms": {
          "type": "array",
          "items": {
            "type": "string",
            "pattern": "^[a-z0-9]+/[a-z0-9_]+(/[a-z0-9]+)?$"
          },
          "description": "Platforms to keep from a multi-platform image, e.g. linux/amd64."
        }
      }
    },
    "Options": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "chunkSize": {
          "type": [
            "string",
            "integer"
          ],
          "description": "Chunk size for chunk digests, e.g. 64M (default 64M, at least 1M)."
        },
        "compression": {
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "level": {
              "type": "integer",
              "minimum": 1,
              "maximum": 19,
              "description": "zstd level for .tar.zst (default 3)."
            }
          }
        }
      }
    }
  }
} as const;
