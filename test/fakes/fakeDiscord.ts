// The fake Discord lives in ./discord/, one module per concern; this path is what the tests import.
export * from './discord';
