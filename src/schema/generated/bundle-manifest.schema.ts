/* Generated from schemas/bundle-manifest.schema.json by scripts/gen-schema-types.ts. Do not edit: edit the schema and run npm run gen:types. */
export const bundleManifestSchema = {
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://airbundle.dev/schemas/bundle-manifest.v1.json",
  "title": "BundleManifest",
  "description": "bundle.json: the signed root document of a bundle (DESIGN §4). Its canonical JSON bytes are what bundle.sig signs.",
  "type": "object",
  "additionalProperties": false,
  "required": [
    "schemaVersion",
    "mediaType",
    "name",
    "version",
    "created",
    "generator",
    "chunkSize",
    "artifacts",
    "blobs",
    "spec"
  ],
  "properties": {
    "schemaVersion": {
      "const": 1
    },
    "mediaType": {
      "const": "application/vnd.airbundle.bundle.v1+json"
    },
    "name": {
      "type": "string",
      "minLength": 1
    },
    "version": {
      "type": "string",
      "minLength": 1
    },
    "created": {
      "type": "string",
      "description": "RFC 3339 time: SOURCE_DATE_EPOCH when set, else the newest provenance time."
    },
    "generator": {
      "type": "string",
      "description": "The tool and version that wrote the bundle."
    },
    "chunkSize": {
      "type": "integer",
      "minimum": 1048576,
      "description": "Blobs larger than this carry per-chunk sha256 digests."
    },
    "spec": {
      "type": "object",
      "description": "Echo of the validated bundle.yaml spec."
    },
    "artifacts": {
      "type": "array",
      "items": {
        "$ref": "#/$defs/Artifact"
      }
    },
    "blobs": {
      "type": "array",
      "items": {
        "$ref": "#/$defs/BlobEntry"
      },
      "description": "Every blob of the bundle, sorted by digest."
    }
  },
  "$defs": {
    "Digest": {
      "type": "string",
      "pattern": "^sha256:[a-f0-9]{64}$"
    },
    "Descriptor": {
      "type": "object",
      "required": [
        "mediaType",
        "digest",
        "size"
      ],
      "properties": {
        "mediaType": {
          "type": "string"
        },
        "digest": {
          "$ref": "#/$defs/Digest"
        },
        "size": {
          "type": "integer",
          "minimum": 0
        },
        "artifactType": {
          "type": "string"
        },
        "annotations": {
          "type": "object",
          "additionalProperties": {
            "type": "string"
          }
        }
      }
    },
    "Artifact": {
      "type": "object",
      "additionalProperties": false,
      "required": [
        "kind",
        "name",
        "ref",
        "source",
        "root",
        "provenance"
      ],
      "properties": {
        "kind": {
          "enum": [
            "model",
            "image",
            "file"
          ]
        },
        "name": {
          "type": "string",
          "minLength": 1
        },
        "ref": {
          "type": "string",
          "description": "org.opencontainers.image.ref.name of the artifact in index.json, e.g. models/tiny-llm:0.1.0 or hello:v1."
        },
        "source": {
          "type": "string",
          "description": "The source as written in the spec."
        },
        "root": {
          "$ref": "#/$defs/Descriptor"
        },
        "platforms": {
          "type": "array",
          "items": {
            "type": "string"
          }
        },
        "provenance": {
          "$ref": "#/$defs/Provenance"
        }
      }
    },
    "Provenance": {
      "type": "object",
      "additionalProperties": false,
      "required": [
        "type",
        "uri"
      ],
      "properties": {
        "type": {
          "enum": [
            "file",
            "http",
            "oci-layout",
            "oci",
            "hf",
            "ollama"
          ]
        },
        "uri": {
          "type": "string",
          "description": "Where the content came from, resolved (absolute path, URL, registry reference)."
        },
        "resolvedAt": {
          "type": "string",
          "description": "RFC 3339 time the source was resolved or last modified."
        },
        "revision": {
          "type": "string",
          "description": "Exact revision: commit, digest, ETag."
        },
        "details": {
          "type": "object",
          "additionalProperties": {
            "type": "string"
          }
        }
      }
    },
    "BlobEntry": {
      "type": "object",
      "additionalProperties": false,
      "required": [
        "digest",
        "size",
        "mediaType"
      ],
      "properties": {
        "digest": {
          "$ref": "#/$defs/Digest"
        },
        "size": {
          "type": "integer",
          "minimum": 0
        },
        "mediaType": {
          "type": "string"
        },
        "chunks": {
          "type": "array",
          "items": {
            "$ref": "#/$defs/Digest"
          },
          "description": "sha256 of each chunkSize window, in order; present when size > chunkSize."
        }
      }
    }
  }
} as const;
