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
    },
    "deploy": {
      "$ref": "#/$defs/Deploy"
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
          "description": "hf://ORG/NAME[@REVISION] (a Hugging Face model repository at a branch, tag or commit; HF_ENDPOINT and HF_TOKEN are read from the environment), file://PATH (relative to this file), https://URL#sha256=HEX, http://URL#sha256=HEX, or oci://HOST/REPO:TAG (a model artifact in a registry)."
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
              "description": "zstd level for .tar.zst (default 1: on model weights the same size as 3, a third less CPU)."
            }
          }
        }
      }
    },
    "Deploy": {
      "type": "object",
      "additionalProperties": false,
      "description": "How bundle deploy puts the bundle to work: namespace, variables, model volumes, workloads from generators, shipped manifests.",
      "properties": {
        "namespace": {
          "type": "string",
          "pattern": "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$",
          "description": "Namespace for everything deployed (default: airbundle; --namespace wins)."
        },
        "variables": {
          "type": "array",
          "items": {
            "$ref": "#/$defs/Variable"
          }
        },
        "volumes": {
          "type": "array",
          "items": {
            "$ref": "#/$defs/Volume"
          }
        },
        "workloads": {
          "type": "array",
          "items": {
            "$ref": "#/$defs/Workload"
          }
        },
        "manifests": {
          "type": "array",
          "items": {
            "$ref": "#/$defs/ManifestFile"
          }
        },
        "loaderImage": {
          "type": "string",
          "description": "A busybox-like image in this bundle, used by loader pods and pull Jobs that fill volumes (busybox applets: sh, tar, wget, sha256sum, cp, stat)."
        }
      }
    },
    "Variable": {
      "type": "object",
      "additionalProperties": false,
      "required": [
        "name"
      ],
      "properties": {
        "name": {
          "type": "string",
          "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
          "description": "Used as ${NAME} in workload options and shipped manifests."
        },
        "default": {
          "type": "string"
        },
        "description": {
          "type": "string"
        },
        "pattern": {
          "type": "string",
          "description": "Regular expression the value must match."
        },
        "required": {
          "type": "boolean",
          "description": "Deploy refuses to start without a value (from --set or --values)."
        },
        "sensitive": {
          "type": "boolean",
          "description": "Never printed; rendered into a Secret when used in env."
        }
      }
    },
    "Volume": {
      "type": "object",
      "additionalProperties": false,
      "required": [
        "name",
        "model"
      ],
      "properties": {
        "name": {
          "type": "string",
          "pattern": "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$",
          "description": "PersistentVolumeClaim name."
        },
        "model": {
          "type": "string",
          "description": "Name of a model in this bundle."
        },
        "layout": {
          "enum": [
            "plain",
            "hf-cache",
            "ollama"
          ],
          "description": "How the files are laid out on the volume (default hf-cache)."
        },
        "size": {
          "type": "string",
          "pattern": "^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|K|M|G|T)?$",
          "description": "Requested size, e.g. 20Gi (default: model size + 10%, at least 1Gi)."
        },
        "storageClass": {
          "type": "string"
        },
        "accessMode": {
          "enum": [
            "ReadWriteOnce",
            "ReadWriteMany",
            "ReadOnlyMany"
          ],
          "description": "Default ReadWriteOnce; ReadWriteMany for a cache shared by several workloads."
        },
        "transport": {
          "enum": [
            "stream",
            "pull"
          ],
          "description": "stream: a loader pod fed from this machine; pull: a Job that fetches from the in-cluster registry (default). Both resume after an interruption: a re-run sends only what the volume does not hold yet."
        }
      }
    },
    "Workload": {
      "type": "object",
      "additionalProperties": false,
      "required": [
        "generator",
        "name"
      ],
      "properties": {
        "generator": {
          "enum": [
            "vllm",
            "ollama",
            "kserve",
            "prepull",
            "modelcar"
          ],
          "description": "vllm, ollama, kserve: model servers; prepull: warm nodes with images and models; modelcar: build the model into a KServe modelcar image in the registry (and a ConfigMap recording where it is and where it came from)."
        },
        "name": {
          "type": "string",
          "pattern": "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
        },
        "model": {
          "type": "string",
          "description": "Name of a model in this bundle."
        },
        "volume": {
          "type": "string",
          "description": "Name of a deploy volume holding the model (vllm, ollama, kserve pvc://)."
        },
        "image": {
          "type": "string",
          "description": "Name of the serving image in this bundle (its name or ref)."
        },
        "baseImage": {
          "type": "string",
          "description": "modelcar (generator, or kserve with storage: modelcar): name of a small image in this bundle with a shell (e.g. docker.io/library/busybox:1.37) that the model layer is put on (default: deploy.loaderImage)."
        },
        "runtime": {
          "type": "string",
          "pattern": "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$",
          "description": "kserve: the ServingRuntime (or ClusterServingRuntime) to use, e.g. one shipped under deploy.manifests (default: KServe picks one for the huggingface format)."
        },
        "replicas": {
          "type": [
            "integer",
            "string"
          ]
        },
        "gpus": {
          "type": [
            "integer",
            "string"
          ],
          "description": "nvidia.com/gpu per replica."
        },
        "port": {
          "type": "integer",
          "minimum": 1,
          "maximum": 65535
        },
        "args": {
          "type": "array",
          "items": {
            "type": "string"
          }
        },
        "env": {
          "type": "object",
          "additionalProperties": {
            "type": "string"
          }
        },
        "nodeSelector": {
          "type": "object",
          "additionalProperties": {
            "type": "string"
          }
        },
        "tolerations": {
          "type": "array",
          "items": {
            "type": "object"
          }
        },
        "images": {
          "type": "array",
          "items": {
            "type": "string"
          },
          "description": "prepull: names of images in this bundle to pre-pull on the selected nodes; a model named here is pulled as a Kubernetes ImageVolume."
        },
        "storage": {
          "enum": [
            "pvc",
            "oci",
            "imageVolume",
            "modelcar"
          ],
          "description": "Where the model comes from: a PVC (default with volume:), the registry as the model artifact itself (oci), a Kubernetes ImageVolume, or a KServe modelcar image built at deploy time from the model and baseImage (modelcar: oci://…@sha256:… of the built image)."
        }
      }
    },
    "ManifestFile": {
      "type": "object",
      "additionalProperties": false,
      "required": [
        "path"
      ],
      "properties": {
        "path": {
          "type": "string",
          "description": "A YAML file of Kubernetes objects, relative to bundle.yaml; it is embedded (and signed) in bundle.json at build time. Images are rewritten to the in-cluster registry by digest."
        },
        "content": {
          "type": "string",
          "description": "Filled in by bundle build."
        }
      }
    }
  }
} as const;
