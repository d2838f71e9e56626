"""boto3 adapters: the only place (with demo/) that imports boto3 or botocore.

Importing this package is cheap; boto3 loads on the first client.
"""

from workbench.aws.clients import AwsClients, ClientSpec
from workbench.aws.iam_user import IamUserPlan, IssuedKeys
from workbench.aws.sts import StsCredentials

__all__ = ["AwsClients", "ClientSpec", "IamUserPlan", "IssuedKeys", "StsCredentials"]
