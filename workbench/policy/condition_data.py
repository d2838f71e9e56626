"""Fixed tables from the IAM policy reference: condition operators and global keys."""

from __future__ import annotations

# operator -> the family that decides which values and keys it accepts
OPERATORS: dict[str, str] = {
    "StringEquals": "String",
    "StringNotEquals": "String",
    "StringEqualsIgnoreCase": "String",
    "StringNotEqualsIgnoreCase": "String",
    "StringLike": "StringLike",
    "StringNotLike": "StringLike",
    "NumericEquals": "Numeric",
    "NumericNotEquals": "Numeric",
    "NumericLessThan": "Numeric",
    "NumericLessThanEquals": "Numeric",
    "NumericGreaterThan": "Numeric",
    "NumericGreaterThanEquals": "Numeric",
    "DateEquals": "Date",
    "DateNotEquals": "Date",
    "DateLessThan": "Date",
    "DateLessThanEquals": "Date",
    "DateGreaterThan": "Date",
    "DateGreaterThanEquals": "Date",
    "Bool": "Bool",
    "BinaryEquals": "Binary",
    "IpAddress": "IpAddress",
    "NotIpAddress": "IpAddress",
    "ArnEquals": "Arn",
    "ArnLike": "Arn",
    "ArnNotEquals": "Arn",
    "ArnNotLike": "Arn",
    "Null": "Null",
}

# operator family -> catalogue key types it can compare (ArrayOf* keys use the element type)
FAMILY_KEY_TYPES: dict[str, frozenset[str]] = {
    "String": frozenset({"String", "ARN"}),
    "StringLike": frozenset({"String", "ARN"}),
    "Arn": frozenset({"ARN", "String"}),
    "Numeric": frozenset({"Numeric"}),
    "Date": frozenset({"Date"}),
    "Bool": frozenset({"Bool"}),
    "IpAddress": frozenset({"IPAddress"}),
    "Binary": frozenset({"Binary", "String"}),
}

# operators whose family to suggest for a key of this type
TYPE_TO_OPERATOR: dict[str, str] = {
    "String": "StringEquals or StringLike",
    "ARN": "ArnEquals or ArnLike",
    "Numeric": "a Numeric operator such as NumericLessThan",
    "Date": "a Date operator such as DateGreaterThan",
    "Bool": "Bool",
    "IPAddress": "IpAddress or NotIpAddress",
}

# AWS global condition keys (lower-case) -> type. Keys ending in "/" take a tag key.
GLOBAL_KEY_NAMES: dict[str, str] = {
    "aws:CalledVia": "ArrayOfString",
    "aws:CalledViaFirst": "String",
    "aws:CalledViaLast": "String",
    "aws:CurrentTime": "Date",
    "aws:EpochTime": "Date",
    "aws:FederatedProvider": "String",
    "aws:MultiFactorAuthAge": "Numeric",
    "aws:MultiFactorAuthPresent": "Bool",
    "aws:PrincipalAccount": "String",
    "aws:PrincipalArn": "ARN",
    "aws:PrincipalIsAWSService": "Bool",
    "aws:PrincipalOrgID": "String",
    "aws:PrincipalOrgPaths": "ArrayOfString",
    "aws:PrincipalServiceName": "String",
    "aws:PrincipalServiceNamesList": "ArrayOfString",
    "aws:PrincipalTag/": "String",
    "aws:PrincipalType": "String",
    "aws:Referer": "String",
    "aws:RequestedRegion": "String",
    "aws:RequestTag/": "String",
    "aws:ResourceAccount": "String",
    "aws:ResourceOrgID": "String",
    "aws:ResourceOrgPaths": "ArrayOfString",
    "aws:ResourceTag/": "String",
    "aws:SecureTransport": "Bool",
    "aws:SourceAccount": "String",
    "aws:SourceArn": "ARN",
    "aws:SourceIdentity": "String",
    "aws:SourceIp": "IPAddress",
    "aws:SourceOrgID": "String",
    "aws:SourceOrgPaths": "ArrayOfString",
    "aws:SourceVpc": "String",
    "aws:SourceVpcArn": "ARN",
    "aws:SourceVpce": "String",
    "aws:TagKeys": "ArrayOfString",
    "aws:TokenIssueTime": "Date",
    "aws:UserAgent": "String",
    "aws:userid": "String",
    "aws:username": "String",
    "aws:ViaAWSService": "Bool",
    "aws:VpcSourceIp": "IPAddress",
    "aws:Ec2InstanceSourceVpc": "String",
    "aws:Ec2InstanceSourcePrivateIPv4": "IPAddress",
    "aws:ChatbotSourceArn": "ARN",
}
GLOBAL_KEYS: dict[str, str] = {key.lower(): kind for key, kind in GLOBAL_KEY_NAMES.items()}

# the key names IAM knows as policy variables even though they are not condition keys
SPECIAL_VARIABLES = frozenset({"*", "?", "$"})
