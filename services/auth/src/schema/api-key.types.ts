import { GraphQLSafeInt } from 'graphql-scalars';
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { Connection } from '@rowline/kit';

@ObjectType('ApiKey', { description: 'A partner API key. The key itself is shown once, when created or rotated.' })
export class ApiKeyType {
  @Field(() => ID) id!: string;
  @Field(() => String) name!: string;
  @Field(() => String, { description: 'The first characters of the key (`rwl_...`), to recognise it.' }) prefix!: string;
  @Field(() => String, { description: 'The last four characters of the key.' }) lastFour!: string;
  @Field(() => [String], { description: 'Read permissions the key is narrowed to (`resource:read`).' }) scopes!: string[];
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date, { nullable: true, description: 'Updated when the gateway checks the key (at most once per its cache lifetime).' })
  lastUsedAt!: Date | null;
  @Field(() => Date, { nullable: true }) expiresAt!: Date | null;
  @Field(() => Date, { nullable: true }) revokedAt!: Date | null;
  @Field(() => GraphQLSafeInt, { description: 'Partner requests served with this key, as reported by the gateway.' }) requestCount!: number;
  @Field(() => GraphQLSafeInt, { description: 'Query cost points those requests spent.' }) costPoints!: number;
  @Field(() => ID, { nullable: true, description: 'The key this one replaced by rotation.' }) rotatedFromId!: string | null;
}

export const ApiKeyConnection = Connection(ApiKeyType, 'ApiKey');

@ObjectType('CreatedApiKey')
export class CreatedApiKeyType {
  @Field(() => ApiKeyType) apiKey!: ApiKeyType;
  @Field(() => String, { description: 'The key, for `Authorization: Bearer` on /partner/graphql. Shown only this once.' }) secret!: string;
}

@InputType()
export class CreateApiKeyInput {
  @Field(() => String) name!: string;
  @Field(() => [String], { description: 'Read permissions, e.g. `executions:read`, `files:read`.' }) scopes!: string[];
  @Field(() => Date, { nullable: true, description: 'No expiry when absent.' }) expiresAt?: Date | null;
}
