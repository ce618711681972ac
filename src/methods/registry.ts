// The registry of synthetic methods: one line per method module. Everything that lists methods (runSynthetic, the
// spec validator, `mcomplete run`'s flags and help, the docs' tables, the contract test) reads it from here.
import { gradientMethod } from './gradient.ts';
import { nuclearMinMethod } from './nuclear-min.ts';
import { softImputeMethod } from './soft-impute.ts';
import { gnmrMethod } from './gnmr.ts';
import { r2rilsMethod } from './r2rils.ts';
import { altminMethod } from './altmin.ts';
import { scaledGdMethod } from './scaled-gd.ts';
import { spectralPolishMethod } from './spectral-polish.ts';
import { matrixIrlsMethod } from './matrix-irls.ts';

/** Every synthetic method, in the order help texts list them. */
export const METHOD_LIST = Object.freeze([
  gradientMethod,
  nuclearMinMethod,
  softImputeMethod,
  gnmrMethod,
  altminMethod,
  scaledGdMethod,
  r2rilsMethod,
  matrixIrlsMethod,
  spectralPolishMethod,
] as const);
