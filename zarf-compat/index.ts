/**
 * zarf-compat: read Zarf package definitions into bundle specs, and push or deploy real Zarf packages by
 * streaming them. Built only on the public modules of src/ (DESIGN §8); src/ knows nothing of Zarf.
 */
export { loadZarfDefinition, goArch } from './definition/load-definition.js';
export type { LoadDefinitionOptions, LoadedDefinition } from './definition/load-definition.js';
export type { ZarfComponent, ZarfPackage } from './definition/zarf-definition.types.js';
export { importZarfDefinition } from './import/import-zarf.js';
export type { ImportOptions, ImportResult } from './import/import-zarf.js';
export type { ReportItem, ReportKind } from './import/import-report.types.js';
export { parseZarfImageRef, zarfChecksum, zarfTargetFor } from './image/zarf-image-ref.js';
export type { ZarfImageRef, ZarfTarget } from './image/zarf-image-ref.js';
export type { PushedImage, PushImagesReport } from './image/push-images.js';
export { isZarfPackage, openPackageSource } from './package/package-source.js';
export type { PackageSource } from './package/package-source.js';
export { scanPackage } from './package/scan-package.js';
export type { PackageScan } from './package/scan-package.js';
export { deployZarfPackage } from './package/deploy-package.js';
export type { ZarfDeployOptions, ZarfDeployReport } from './package/deploy-package.js';
export { pushZarfPackage } from './package/push-package.js';
export type { ZarfPushOptions, ZarfPushReport } from './package/push-package.js';
export { verifyZarfSignature, signZarfDefinition } from './package/zarf-signature.js';
export type { VerifiedZarfSignature } from './package/zarf-signature.js';
export { splitPackage, openSplitParts } from './package/split-parts.js';
export { writeZarfPackage, checksumsFile } from './package/write-package.js';
export type { ZarfPackageContent, WrittenPackage } from './package/write-package.js';
export { readPackageFiles } from './package/read-package-files.js';
