/**
 * History <-> proto3 JSON (the format of `temporal workflow show --output json`), as @temporalio/common's
 * historyToJSON/historyFromJSON do, but with the protobufjs copy @temporalio/proto was built with. npm may
 * install two copies of protobufjs 8 (one under @temporalio/common, one under @temporalio/proto, as here,
 * beside a top-level protobufjs 7), and then the SDK's helpers throw "type must be a Type": protojson's
 * instanceof check sees the other copy's classes.
 */
import proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';
import type { Type } from 'protobufjs';

type History = proto.temporal.api.history.v1.IHistory;
interface ProtoJson {
  toJson(type: Type, message: unknown): unknown;
  fromJson(type: Type, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports -- resolved from @temporalio/proto's own location
const protojson = require(
  require.resolve('protobufjs/ext/protojson', { paths: [require.resolve('@temporalio/proto')] }),
) as ProtoJson;
const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): Type }).lookupType(
  'temporal.api.history.v1.History',
);

export function historyToJSON(history: History): string {
  const message = proto.temporal.api.history.v1.History.fromObject(history);
  return JSON.stringify(protojson.toJson(historyType, message), null, 2);
}

export function historyFromJSON(json: unknown): History {
  const loaded = protojson.fromJson(historyType, json, { ignoreUnknownFields: true }) as History | null;
  if (!loaded) throw new TypeError('not a workflow history');
  return loaded;
}

/**
 * A file of test/fixtures/histories/: the run's workflow id (replay needs it: child workflow ids and the
 * like are derived from it) and its history in proto3 JSON.
 */
export interface RecordedHistory {
  workflowId: string;
  workflowType: string;
  history: unknown;
}
