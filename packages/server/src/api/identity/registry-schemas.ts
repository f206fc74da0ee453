/**
 * TypeBox schemas of the registry routes: things, thing types, billing groups, group membership and
 * event configurations. Request fields carry AWS's names and patterns (CreateThing, UpdateThing,
 * CreateThingType, CreateBillingGroup, UpdateEventConfigurations); pages are Gatehouse's `items`/`nextCursor`.
 */
import { Type, type Static } from '@sinclair/typebox';
import { REGISTRY_EVENT_TYPES } from '../../store/index.js';
import { ThingName, TenantName } from './identity-schemas.js';

/** AWS's name pattern of thing types, thing groups and billing groups (the same as a thing's). */
export const RegistryName = Type.String({ minLength: 1, maxLength: 128, pattern: '^[a-zA-Z0-9:_-]+$' });

/** AWS's AttributePayload key pattern. */
const attributeNamePattern = '^[a-zA-Z0-9_.,@/:#-]+$';
export const AttributeName = Type.String({ minLength: 1, maxLength: 128, pattern: attributeNamePattern, description: 'Attribute name (AWS pattern)' });
export const AttributeValue = Type.String({ maxLength: 800, pattern: '^[a-zA-Z0-9_.,@/:#=\\[\\]-]*$', description: 'Attribute value (AWS pattern); empty removes it when merging' });

/** `{attributes, merge}`; in `attributes` an empty value or null removes the attribute when merging. */
export const AttributePayloadBody = Type.Object(
  {
    attributes: Type.Optional(Type.Record(Type.String({ pattern: attributeNamePattern }), Type.Union([AttributeValue, Type.Null()]), { additionalProperties: false, propertyNames: { maxLength: 128 } })),
    merge: Type.Optional(Type.Boolean({ description: 'Merge into the stored attributes instead of replacing them' })),
  },
  { additionalProperties: false, description: "AWS's AttributePayload" },
);

export const TenantThingParams = Type.Object({ tenant: TenantName, thing: ThingName });
export type TenantThingParams = Static<typeof TenantThingParams>;
export const TenantNameParams = Type.Object({ tenant: TenantName, name: RegistryName });
export type TenantNameParams = Static<typeof TenantNameParams>;
export const GroupThingParams = Type.Object({ tenant: TenantName, name: RegistryName, thing: ThingName });
export type GroupThingParams = Static<typeof GroupThingParams>;

export const CreateThingBody = Type.Union([
  Type.Object(
    {
      thingTypeName: Type.Optional(RegistryName),
      attributePayload: Type.Optional(AttributePayloadBody),
      billingGroupName: Type.Optional(RegistryName),
    },
    { additionalProperties: false },
  ),
  Type.Null(),
], { description: "AWS's CreateThing: the type must exist and not be deprecated; at most 50 attributes" });
export type CreateThingBody = Static<typeof CreateThingBody>;

export const UpdateThingBody = Type.Object(
  {
    thingTypeName: Type.Optional(RegistryName),
    removeThingType: Type.Optional(Type.Boolean()),
    attributePayload: Type.Optional(AttributePayloadBody),
    expectedVersion: Type.Optional(Type.Integer({ minimum: 1, description: 'Refused with 409 VERSION_CONFLICT unless the thing is at this version' })),
  },
  { additionalProperties: false, description: "AWS's UpdateThing" },
);
export type UpdateThingBody = Static<typeof UpdateThingBody>;

export const BulkCreateBody = Type.Object(
  {
    things: Type.Array(
      Type.Object(
        {
          thingName: ThingName,
          thingTypeName: Type.Optional(RegistryName),
          attributePayload: Type.Optional(AttributePayloadBody),
          billingGroupName: Type.Optional(RegistryName),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 1000 },
    ),
  },
  { additionalProperties: false, description: 'Up to 1000 CreateThing requests, each answered on its own' },
);
export type BulkCreateBody = Static<typeof BulkCreateBody>;

export const BulkCreateResult = Type.Object({
  results: Type.Array(Type.Object({
    thingName: Type.String(),
    status: Type.Integer({ description: '201 created, 200 it existed with the same settings, else the error status' }),
    thingId: Type.Optional(Type.String()),
    error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
  })),
});

export const ThingJson = Type.Object(
  {
    tenant: Type.String(),
    thingName: Type.String(),
    thingId: Type.String(),
    thingArn: Type.String({ description: '`arn:gatehouse:iot::{tenant}:thing/{name}`' }),
    thingTypeName: Type.Optional(Type.String()),
    attributes: Type.Record(Type.String(), Type.String()),
    version: Type.Integer(),
    billingGroupName: Type.Optional(Type.String()),
    thingGroups: Type.Array(Type.String(), { description: 'Static thing groups it belongs to' }),
    defaultClientId: Type.String({ description: 'The thing name, as AWS answers' }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { description: 'A thing, as AWS DescribeThing shows it (with its groups and times)' },
);

export const ThingListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    cursor: Type.Optional(Type.String()),
    thingTypeName: Type.Optional(RegistryName),
    attributeName: Type.Optional(AttributeName),
    attributeValue: Type.Optional(Type.String({ maxLength: 800, pattern: '^[a-zA-Z0-9_.,@/:#=\\[\\]-]*$' })),
    usePrefixAttributeValue: Type.Optional(Type.Boolean()),
    thingGroupName: Type.Optional(RegistryName),
    recursive: Type.Optional(Type.Boolean({ description: 'With thingGroupName: the things of its subgroups too' })),
    billingGroupName: Type.Optional(RegistryName),
  },
  { additionalProperties: false },
);
export type ThingListQuery = Static<typeof ThingListQuery>;

export const PageQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })), cursor: Type.Optional(Type.String()) },
  { additionalProperties: false },
);
export type PageQuery = Static<typeof PageQuery>;

export const MemberListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    cursor: Type.Optional(Type.String()),
    recursive: Type.Optional(Type.Boolean({ description: 'The things of its subgroups too' })),
  },
  { additionalProperties: false },
);
export type MemberListQuery = Static<typeof MemberListQuery>;

export const ExpectedVersionQuery = Type.Object(
  { expectedVersion: Type.Optional(Type.Integer({ minimum: 1, description: 'Refused with 409 VERSION_CONFLICT unless at this version' })) },
  { additionalProperties: false },
);
export type ExpectedVersionQuery = Static<typeof ExpectedVersionQuery>;

export const CreateThingTypeBody = Type.Union([
  Type.Object(
    {
      thingTypeProperties: Type.Optional(Type.Object(
        {
          thingTypeDescription: Type.Optional(Type.String({ maxLength: 2028 })),
          searchableAttributes: Type.Optional(Type.Array(AttributeName, { maxItems: 3, uniqueItems: true })),
        },
        { additionalProperties: false },
      )),
    },
    { additionalProperties: false },
  ),
  Type.Null(),
], { description: "AWS's CreateThingType" });
export type CreateThingTypeBody = Static<typeof CreateThingTypeBody>;

export const DeprecateThingTypeBody = Type.Union([
  Type.Object({ undoDeprecate: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
  Type.Null(),
], { description: "AWS's DeprecateThingType" });
export type DeprecateThingTypeBody = Static<typeof DeprecateThingTypeBody>;

export const ThingTypeJson = Type.Object(
  {
    tenant: Type.String(),
    thingTypeName: Type.String(),
    thingTypeId: Type.String(),
    thingTypeArn: Type.String(),
    thingTypeProperties: Type.Object({ thingTypeDescription: Type.Optional(Type.String()), searchableAttributes: Type.Array(Type.String()) }),
    thingTypeMetadata: Type.Object({
      deprecated: Type.Boolean(),
      deprecationDate: Type.Optional(Type.String({ format: 'date-time' })),
      creationDate: Type.String({ format: 'date-time' }),
    }),
  },
  { description: 'A thing type, as AWS DescribeThingType shows it' },
);

const BillingGroupProperties = Type.Object({ billingGroupDescription: Type.Optional(Type.String({ maxLength: 2028 })) }, { additionalProperties: false });

export const CreateBillingGroupBody = Type.Union([
  Type.Object({ billingGroupProperties: Type.Optional(BillingGroupProperties) }, { additionalProperties: false }),
  Type.Null(),
], { description: "AWS's CreateBillingGroup" });
export type CreateBillingGroupBody = Static<typeof CreateBillingGroupBody>;

export const UpdateBillingGroupBody = Type.Object(
  { billingGroupProperties: BillingGroupProperties, expectedVersion: Type.Optional(Type.Integer({ minimum: 1 })) },
  { additionalProperties: false, description: "AWS's UpdateBillingGroup" },
);
export type UpdateBillingGroupBody = Static<typeof UpdateBillingGroupBody>;

export const BillingGroupJson = Type.Object(
  {
    tenant: Type.String(),
    billingGroupName: Type.String(),
    billingGroupId: Type.String(),
    billingGroupArn: Type.String(),
    version: Type.Integer(),
    billingGroupProperties: Type.Object({ billingGroupDescription: Type.Optional(Type.String()) }),
    billingGroupMetadata: Type.Object({ creationDate: Type.String({ format: 'date-time' }) }),
  },
  { description: 'A billing group, as AWS DescribeBillingGroup shows it' },
);

const EventConfigurationMap = Type.Object(
  Object.fromEntries(REGISTRY_EVENT_TYPES.map((type) => [type, Type.Optional(Type.Object({ Enabled: Type.Boolean() }, { additionalProperties: false }))])),
  { additionalProperties: false },
);

export const EventConfigurationsBody = Type.Object(
  { eventConfigurations: EventConfigurationMap },
  { additionalProperties: false, description: "AWS's UpdateEventConfigurations: the types given are turned on or off, the others stay" },
);
export type EventConfigurationsBody = Static<typeof EventConfigurationsBody>;

export const EventConfigurationsJson = Type.Object(
  {
    eventConfigurations: Type.Record(Type.String(), Type.Object({ Enabled: Type.Boolean() })),
    creationDate: Type.Optional(Type.String({ format: 'date-time' })),
    lastModifiedDate: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { description: "AWS's DescribeEventConfigurations: every registry event type Gatehouse publishes, and whether it is on" },
);
