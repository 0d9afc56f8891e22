import { GraphQLSafeInt } from 'graphql-scalars';
import { Directive, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Connection } from '@rowline/kit';
import type { ColumnType as ColumnTypeValue, FileKind as FileKindValue, FileStatus as FileStatusValue, SheetInfo } from '../domain/types.js';

export enum FileStatus { UPLOADING = 'UPLOADING', READY = 'READY', REJECTED = 'REJECTED', EXPIRED = 'EXPIRED', DELETED = 'DELETED' }
registerEnumType(FileStatus, {
  name: 'FileStatus',
  valuesConfig: {
    UPLOADING: { description: 'Created; waiting for its bytes at the upload link.' },
    READY: { description: 'Stored and inspected; it can be used and downloaded.' },
    REJECTED: { description: 'The bytes were refused; see rejectionReason.' },
    EXPIRED: { description: 'Retention ended; the bytes are gone.' },
    DELETED: { description: 'Deleted with deleteFile; the bytes are gone. Only a run that used or wrote it still shows it.' },
  },
});

export enum FileKind { INPUT = 'INPUT', ARTIFACT = 'ARTIFACT' }
registerEnumType(FileKind, {
  name: 'FileKind',
  valuesConfig: { INPUT: { description: 'Uploaded by a person.' }, ARTIFACT: { description: 'Written by a workflow run.' } },
});

export enum ColumnType { TEXT = 'TEXT', NUMBER = 'NUMBER', DATE = 'DATE', BOOLEAN = 'BOOLEAN', MIXED = 'MIXED', EMPTY = 'EMPTY' }
registerEnumType(ColumnType, { name: 'FileColumnType', description: 'The type of a column\'s cells in the first rows; MIXED when they disagree.' });

@ObjectType('FileColumn', { description: 'A column named by a sheet\'s header row.' })
export class ColumnObject {
  @Field(() => String) name!: string;
  @Field(() => ColumnType) type!: ColumnTypeValue;
}

@ObjectType('FileSheet', { description: 'A sheet of a workbook (a csv file is one sheet named after the file).' })
export class SheetObject implements SheetInfo {
  @Field(() => String) name!: string;
  @Field(() => Int, { nullable: true, description: 'Rows below the header row; null when too costly to count at upload.' })
  rowCount!: number | null;
  @Field(() => [ColumnObject], { description: 'From the header row; empty when the sheet has none.' }) columns!: ColumnObject[];
}

@ObjectType('File')
@Directive('@key(fields: "id")')
export class FileType {
  @Directive('@tag(name: "partner")')
  @Field(() => ID) id!: string;
  @Directive('@tag(name: "partner")')
  @Field(() => String) name!: string;
  @Field(() => String, { nullable: true, description: 'Detected from the bytes once uploaded, not taken from the client.' })
  @Directive('@tag(name: "partner")')
  contentType!: string | null;
  @Directive('@tag(name: "partner")')
  @Field(() => GraphQLSafeInt, { description: 'In bytes: declared while UPLOADING, stored afterwards.' }) size!: number;
  @Directive('@tag(name: "partner")')
  @Field(() => String, { nullable: true, description: 'Hex SHA-256 of the stored bytes.' }) sha256!: string | null;
  @Directive('@tag(name: "partner")')
  @Field(() => FileStatus) status!: FileStatusValue;
  @Field(() => String, { nullable: true }) rejectionReason!: string | null;
  @Directive('@tag(name: "partner")')
  @Field(() => FileKind) kind!: FileKindValue;
  @Directive('@tag(name: "partner")')
  @Field(() => Date) createdAt!: Date;
  @Field(() => [SheetObject], { nullable: true }) sheets!: SheetObject[] | null;
  tenantId!: string;
}

@ObjectType()
export class FileConnection extends Connection(FileType, 'File') {}

@InputType()
export class CreateUploadInput {
  @Field(() => String, { description: 'Must end in .xlsx or .csv.' }) name!: string;
  @Field(() => String, { nullable: true, description: 'As the client sees it; informative only.' }) contentType?: string | null;
  @Field(() => GraphQLSafeInt, { description: 'Exact size in bytes; the upload must send exactly this many.' }) size!: number;
}

@ObjectType()
export class CreateUploadPayload {
  @Field(() => FileType) file!: FileType;
  @Field(() => String, { description: 'PUT the bytes here (plain HTTP, no other authentication) before expiresAt.' }) uploadUrl!: string;
  @Field(() => Date) expiresAt!: Date;
}
